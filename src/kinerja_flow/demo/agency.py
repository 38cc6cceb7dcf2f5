"""Generate a plausible agency (units, employees with valid NIPs, a supervisor tree) as CSV."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

FIRST = [
    "Budi",
    "Siti",
    "Agus",
    "Dewi",
    "Hendra",
    "Rina",
    "Joko",
    "Sri",
    "Ahmad",
    "Nur",
    "Eko",
    "Wulan",
    "Bambang",
    "Lestari",
    "Rizky",
    "Putri",
    "Andi",
    "Fitri",
    "Dedi",
    "Ratna",
    "Yusuf",
    "Indah",
]
LAST = [
    "Santoso",
    "Rahmawati",
    "Pratama",
    "Lestari",
    "Wijaya",
    "Hartati",
    "Saputra",
    "Susanti",
    "Hidayat",
    "Kurniawan",
    "Nugroho",
    "Permata",
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Tanjung",
]
UNITS = [
    ("DINAS", "Dinas Komunikasi dan Informatika", None),
    ("SEKRE", "Sekretariat", "DINAS"),
    ("APTIKA", "Bidang Aplikasi Informatika", "DINAS"),
    ("IKP", "Bidang Informasi dan Komunikasi Publik", "DINAS"),
    ("STATISTIK", "Bidang Statistik dan Persandian", "DINAS"),
]
TEAM_SIZE = 12


@dataclass(frozen=True)
class Person:
    nip: str
    name: str
    email: str
    unit_code: str
    position: str
    supervisor_nip: str
    roles: str


def _nip(rng: random.Random, taken: set[str]) -> str:
    while True:
        birth_year = rng.randint(1966, 2000)
        birth = f"{birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        appointed = f"{min(birth_year + rng.randint(22, 30), 2025)}{rng.randint(1, 12):02d}"
        nip = f"{birth}{appointed}{rng.randint(1, 2)}{rng.randint(1, 999):03d}"
        if nip not in taken:
            taken.add(nip)
            return nip


def generate(count: int, seed: int = 2026, domain: str = "demo.go.id") -> list[Person]:
    """``count`` employees: one head, a head per bureau, a team lead per 12 staff."""
    rng = random.Random(seed)
    taken: set[str] = set()
    people: list[Person] = []

    def add(unit: str, position: str, supervisor: str, roles: str = "") -> Person:
        nip = _nip(rng, taken)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        email = f"{name.lower().replace(' ', '.')}.{nip}@{domain}"
        person = Person(nip, name, email, unit, position, supervisor, roles)
        people.append(person)
        return person

    head = add("DINAS", "Kepala Dinas", "")
    bureau_heads = [add(code, f"Kepala {name}", head.nip) for code, name, parent in UNITS if parent]
    if count > len(people):
        add("SEKRE", "Analis SDM Aparatur", bureau_heads[0].nip, "hr")
    if count > len(people):
        add("SEKRE", "Auditor Internal", bureau_heads[0].nip, "auditor")
    leads: list[Person] = []
    while len(people) < count:
        bureau = bureau_heads[len(leads) % len(bureau_heads)]
        lead = add(bureau.unit_code, "Ketua Tim Kerja", bureau.nip)
        leads.append(lead)
        for _member in range(TEAM_SIZE):
            if len(people) >= count:
                break
            add(
                lead.unit_code,
                rng.choice(["Analis Kebijakan", "Pranata Komputer", "Pengelola Data"]),
                lead.nip,
            )
    return people[:count]


def to_csv(people: list[Person]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["nip", "name", "email", "unit_code", "position", "supervisor_nip", "roles"])
    for p in people:
        writer.writerow(
            [p.nip, p.name, p.email, p.unit_code, p.position, p.supervisor_nip, p.roles]
        )
    return buffer.getvalue()
