"""The Bind emulator's clients: ``GET /api/Clients/{id}`` details, the admin mutator that adds a client, and
"público en general", the client an invoice falls back to when it names none.
"""

from __future__ import annotations

from datetime import datetime

from smartbind_pipelines.sandbox.bind import demo
from smartbind_pipelines.sandbox.bind.demo import clients as demo_clients
from smartbind_pipelines.sandbox.bind.schema import CLIENT_DETAILS, CLIENT_LIST_ITEM, STRING
from smartbind_pipelines.sandbox.bind.state.admin_input import typed_fields

_CLIENT_EXTRA = {"Address": STRING, "Contact": STRING}


class ClientBook:
    """Part of ``BindState`` (which sets ``clients``, ``_lock`` and ``_rng``)."""

    def client_details(self, client_id: str) -> dict | None:
        """``GET /api/Clients/{id}``: ``ClientDetails`` with Bind's misspelt ``Loctaion``/``LoctaionID``."""
        with self._lock:
            client = self.clients.records.get(client_id.lower())
            if client is None:
                return None
            location = client.get("LocationID")
            wire = CLIENT_DETAILS.wire(
                {
                    "ID": client["ID"],
                    "RFC": client["RFC"],
                    "LegalName": client["LegalName"],
                    "CommercialName": client["ClientName"],
                    "CreditDays": 30,
                    "CreditAmount": 0.0,
                    "PaymentMethod": "Transferencia",
                    "CreationDate": datetime(2023, 3, 1, 10, 0),
                    "Status": "Activo",
                    "SalesContact": client.get("_contact"),
                    "CreditContact": None,
                    "Loctaion": demo.LOCATIONS.get(location),
                    "LoctaionID": location,
                    "Comments": "",
                    "PriceList": demo.PRICE_LISTS[demo.DEFAULT_PRICE_LIST],
                    "PriceListID": demo.DEFAULT_PRICE_LIST,
                    "PaymentTermType": "Crédito",
                    "Email": client["Email"],
                    "Telephones": client["Phone"],
                    "Number": client["Number"],
                    "AccountNumber": None,
                    "DefaultDiscount": 0.0,
                    "ClientSource": None,
                    "Account": None,
                    "City": None,
                    "State": None,
                }
            )
            wire["Addresses"] = [{"Address": client["_address"]}] if client.get("_address") else []
            return wire

    def add_client(self, **fields) -> dict:
        """A new client; RFC defaults to a valid-looking persona moral RFC for its name."""
        with self._lock:
            typed = typed_fields(fields, CLIENT_LIST_ITEM, _CLIENT_EXTRA, "client")
            client_id = typed.pop("ID", None) or demo.new_guid(self._rng)
            if client_id in self.clients.records:
                raise ValueError(f"client {client_id} already exists")
            number = self._next_client_number()
            name = typed.get("ClientName") or f"Cliente {number}"
            legal = typed.get("LegalName") or name
            record = {
                "ID": client_id,
                "Number": number,
                "ClientName": name,
                "LegalName": legal,
                "RFC": demo_clients.company_rfc(self._rng, legal),
                "Email": None,
                "Phone": None,
                "NextContactDate": None,
                "LocationID": None,
                "RegimenFiscal": "601",
                "_address": typed.pop("Address", None),
                "_contact": typed.pop("Contact", None),
            }
            record.update(typed)
            self.clients.put(record)
            return CLIENT_LIST_ITEM.wire(record)

    def _next_client_number(self) -> int:
        return max((c["Number"] for c in self.clients.records.values()), default=1000) + 1

    def _public_client(self) -> dict:
        for client in self.clients.records.values():
            if client["RFC"] == demo.PUBLIC_RFC:
                return client
        client = demo_clients.public_client(demo.new_guid(self._rng), self._next_client_number())
        self.clients.put(client)
        return client

    def _clients_public_first(self) -> list[dict]:
        public = [c for c in self.clients.records.values() if c["RFC"] == demo.PUBLIC_RFC][:1]
        return public + [c for c in self.clients.records.values() if c not in public]

    def _client_for(self, typed: dict) -> dict:
        client_id = typed.get("ClientID")
        if client_id is None:
            return self._public_client()
        client = self.clients.records.get(client_id)
        if client is None:  # an id Bind would know but the emulator does not: keep what the caller gave
            return {"ID": client_id, "LegalName": typed.get("ClientName", ""), "RFC": typed.get("RFC", "")}
        return client
