"""Public satisfaction: the anonymous IKM survey of a unit and its index (PermenPANRB 14/2017)."""
