"""The staff roster: employees, their accounts and supervisors, imported from HR files."""
