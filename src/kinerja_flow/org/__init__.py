"""Organisation: units (unit kerja) and employees (pegawai ASN) with their supervisors."""
