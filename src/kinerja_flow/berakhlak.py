"""The seven BerAKHLAK core values of the civil service (SE MenPANRB 20/2021).

Work behaviour (perilaku kerja) is judged on these values: the evaluator's feedback, the leader's
specific expectations (ekspektasi khusus pimpinan) and peer feedback are all given per value.
"""

from __future__ import annotations

from enum import StrEnum

from kinerja_flow.i18n import _


class CoreValue(StrEnum):
    BERORIENTASI_PELAYANAN = "berorientasi_pelayanan"
    AKUNTABEL = "akuntabel"
    KOMPETEN = "kompeten"
    HARMONIS = "harmonis"
    LOYAL = "loyal"
    ADAPTIF = "adaptif"
    KOLABORATIF = "kolaboratif"


CORE_VALUES: tuple[CoreValue, ...] = tuple(CoreValue)
"""In the order of the official forms."""

VALUE_NAMES: dict[CoreValue, str] = {
    CoreValue.BERORIENTASI_PELAYANAN: _("Service-oriented"),
    CoreValue.AKUNTABEL: _("Accountable"),
    CoreValue.KOMPETEN: _("Competent"),
    CoreValue.HARMONIS: _("Harmonious"),
    CoreValue.LOYAL: _("Loyal"),
    CoreValue.ADAPTIF: _("Adaptive"),
    CoreValue.KOLABORATIF: _("Collaborative"),
}
"""English msgids; Indonesian names: Berorientasi Pelayanan, Akuntabel, Kompeten, Harmonis, Loyal,
Adaptif, Kolaboratif."""
