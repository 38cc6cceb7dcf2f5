"""Appraisals: one employee's SKP in one cycle, moved through its workflow."""
