"""Appraisal cycles: a period, its deadlines, the units in scope and the workflow used."""
