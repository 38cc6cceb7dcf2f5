"""kinerja-flow: performance appraisal (SKP) workflows for the Indonesian civil service."""
