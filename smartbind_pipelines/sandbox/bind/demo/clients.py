"""Generated demo clients: realistic Mexican company and personal names, with RFCs built as SAT does."""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta

from smartbind_pipelines.sandbox.bind.demo import LOCATION_IDS, PUBLIC_RFC, new_guid

_COMPANY_CLIENTS = [
    ("Distribuidora Ñandú", "Distribuidora Ñandú S.A. de C.V."),
    ("Comercializadora Peñoles del Bajío S.A. de C.V.", "Comercializadora Peñoles del Bajío S.A. de C.V."),
]
_COMPANY_PREFIXES = [
    "Constructora",
    "Ferretería",
    "Materiales",
    "Grupo",
    "Servicios Industriales",
    "Comercializadora",
    "Distribuidora",
    "Desarrollos Inmobiliarios",
    "Acabados",
]
_COMPANY_CORES = [
    "del Río Lerma",
    "Tepeyac",
    "Los Álamos",
    "Cañada Honda",
    "Peña Blanca",
    "San José Iturbide",
    "Querétaro Norte",
    "Añil",
    "El Ocotal",
    "Acámbaro",
    "Güemes",
    "La Piedad",
    "Zuñiga",
    "Montaña Azul",
    "Tlaquepaque",
    "Cuautitlán",
    "Santa Lucía",
    "Mazatlán",
    "Xochimilco",
]
_COMPANY_SUFFIXES = ["S.A. de C.V.", "S. de R.L. de C.V.", "S.A.P.I. de C.V.", "S.C."]
_FIRST_NAMES = [
    "José Ángel",
    "María Fernanda",
    "Jesús",
    "Guadalupe",
    "Óscar",
    "Inés",
    "Raúl",
    "Begoña",
    "Joaquín",
    "Sofía",
    "Martín",
    "Verónica",
    "Andrés",
    "Mónica",
]
_SURNAMES = [
    "Muñoz",
    "Ibáñez",
    "Hernández",
    "Peña",
    "Gómez",
    "Núñez",
    "Téllez",
    "Ramírez",
    "Suárez",
    "Castañeda",
    "López",
    "Ordóñez",
    "Martínez",
    "Durán",
]
_STOP_WORDS = {"DE", "DEL", "LA", "LAS", "LOS", "Y", "S.A.", "C.V.", "S.", "R.L.", "S.A.P.I.", "S.C.", "EL"}


def ascii_upper(text: str) -> str:
    """RFC letters are ASCII: accents are dropped and Ñ becomes X, as SAT does."""
    text = text.upper().replace("Ñ", "X")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _homoclave(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ123456789") for _ in range(2)) + rng.choice("A0123456789")


def _rfc_date(rng: random.Random, first_year: int, last_year: int) -> str:
    day = datetime(first_year, 1, 1) + timedelta(days=rng.randrange((last_year - first_year) * 365))
    return day.strftime("%y%m%d")


def company_rfc(rng: random.Random, legal_name: str) -> str:
    """Persona moral: 3 letters from the name's initials + YYMMDD + 3-character homoclave."""
    words = [w for w in ascii_upper(legal_name).replace(",", " ").split() if w not in _STOP_WORDS]
    letters = "".join(w[0] for w in words if w[0].isalpha())[:3].ljust(3, "X")
    return letters + _rfc_date(rng, 1985, 2021) + _homoclave(rng)


def person_rfc(rng: random.Random, first: str, paternal: str, maternal: str) -> str:
    """Persona física: 4 letters (paternal initial + its first inner vowel, maternal, given) + date + homoclave."""
    p = ascii_upper(paternal)
    vowel = next((c for c in p[1:] if c in "AEIOU"), "X")
    letters = p[0] + vowel + ascii_upper(maternal)[0] + ascii_upper(first)[0]
    return letters + _rfc_date(rng, 1955, 2000) + _homoclave(rng)


def _email(rng: random.Random, name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
    slug = "".join(c for c in plain if c.isalnum())[:14] or "cliente"
    return f"{rng.choice(['facturas', 'compras', 'contabilidad', 'pagos'])}@{slug}.com.mx"


def public_client(client_id: str, number: int) -> dict:
    return {
        "ID": client_id,
        "Number": number,
        "ClientName": "PÚBLICO EN GENERAL",
        "LegalName": "PÚBLICO EN GENERAL",
        "RFC": PUBLIC_RFC,
        "Email": None,
        "Phone": None,
        "NextContactDate": None,
        "LocationID": None,
        "RegimenFiscal": "616",
        "_address": None,
        "_contact": None,
    }


def make_clients(rng: random.Random, count: int, first_number: int = 1001) -> list[dict]:
    """``count`` clients: público en general first, then the two named companies, then generated ones."""
    clients = [public_client(new_guid(rng), first_number)]
    names = list(_COMPANY_CLIENTS)
    while len(names) < count - 1:
        if rng.random() < 0.7:
            short = f"{rng.choice(_COMPANY_PREFIXES)} {rng.choice(_COMPANY_CORES)}"
            names.append((short, f"{short} {rng.choice(_COMPANY_SUFFIXES)}"))
        else:
            full = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)} {rng.choice(_SURNAMES)}"
            names.append((full, full))
    for position, (short, legal) in enumerate(names[: max(0, count - 1)]):
        is_company = legal != short or short in dict(_COMPANY_CLIENTS)
        shouting = position >= len(_COMPANY_CLIENTS) and rng.random() < 0.4  # many real names are all caps
        if is_company:
            rfc, regime = company_rfc(rng, legal), "601"
        else:
            *first, paternal, maternal = short.split()
            rfc, regime = person_rfc(rng, " ".join(first), paternal, maternal), "612"
        clients.append(
            {
                "ID": new_guid(rng),
                "Number": first_number + len(clients),
                "ClientName": short.upper() if shouting else short,
                "LegalName": legal.upper() if shouting else legal,
                "RFC": rfc,
                "Email": _email(rng, short),
                "Phone": f"{rng.choice(['55', '81', '33', '442', '477'])}{rng.randrange(10**7, 10**8)}"[:10]
                if rng.random() < 0.6
                else None,
                "NextContactDate": None,
                "LocationID": rng.choice(LOCATION_IDS + [None]),
                "RegimenFiscal": regime if rng.random() < 0.8 else None,
                "_address": f"Av. {rng.choice(_COMPANY_CORES)} {rng.randint(1, 2400)}, Col. Centro",
                "_contact": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)}",
            }
        )
    return clients
