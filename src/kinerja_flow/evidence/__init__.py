"""Evidence (bukti dukung) of an indicator's realisation: links and uploaded files."""
