"""Component ids, shared by the layout and the callbacks."""

URL = "url"
KPI_CARDS = "kpi-cards"
DATA_AS_OF = "data-as-of"
REFRESH = "refresh-interval"


def kpi_card(key: str) -> str:
    return f"kpi-{key}"
