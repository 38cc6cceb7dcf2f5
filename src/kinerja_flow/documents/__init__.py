"""Printable documents of an appraisal, as HTML with print styles and as PDF.

The *Sasaran Kinerja Pegawai* (SKP: the approved plan of results and behaviour expectations) and
the *Dokumen Evaluasi Kinerja Pegawai* (the result: realisation, feedback, ratings, predikat and
the appeal's outcome), laid out after the annexes of PermenPANRB 6/2022.
"""
