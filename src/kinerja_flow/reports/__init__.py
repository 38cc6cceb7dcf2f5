"""Reports for HR: a cycle's progress per unit (laporan kemajuan) and exports of appraisals,
follow-up items and training hours as CSV or XLSX."""
