"""Continuous feedback (umpan balik berkelanjutan) and coaching sessions (dialog kinerja).

While an appraisal is being carried out, the employee and the evaluator write feedback notes on
a planned result and record coaching, mentoring or counselling sessions with what was agreed.
"""
