"""Peer feedback (umpan balik rekan kerja, "360") on an appraisal.

The evaluator or HR invites peers; each peer scores the employee 1-5 on every BerAKHLAK core
value, with an optional comment, by a due date, through an emailed single-use link or the API.
HR, auditors, the evaluator and the appeal reviewer see who answered what; the employee sees
only an anonymous aggregate, and only once enough peers answered and nobody can answer any more.
"""
