"""Organisation results and the distribution curve of employee predikat (SE MenPANRB 3/2023)."""
