"""Pure rules of invoicing from the sheet: validation, settings, plan, reference, ledger (no HTTP)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.ledger import CREATED, POSTING, InvoiceLedger
from smartbind_pipelines.core.invoicing.plan import (
    ALREADY,
    DEFERRED,
    FOLLOW,
    INVOICE,
    RECOVER,
    REFUSE,
    RESUME,
    plan_rows,
)
from smartbind_pipelines.core.invoicing.reference import carries, comments_with, lookup_filter, row_reference
from smartbind_pipelines.core.invoicing.settings import (
    InvoicingSettingsError,
    settings_from_mapping,
)
from smartbind_pipelines.core.invoicing.validation import InvoiceRequest, validate_row
from smartbind_pipelines.core.sheets import ExistingRow

SERVICE = "5e2a9c10-7b3d-4f8e-9a61-0c4d2b7e1f01"
SETTINGS = settings_from_mapping(
    {"services": {"72101500/E48": SERVICE}, "warehouse_id": SERVICE, "price_list_id": SERVICE}
)
NOW = datetime(2026, 2, 3, 10, 0, tzinfo=CDMX)


def good(**overrides):
    cells = {
        C.RFC: "FLU990101AB1",
        C.CONCEPTO: "Mantenimiento",
        C.CANTIDAD: 2,
        C.PRECIO: "1,500.00",
        C.CLAVE_PRODUCTO: "72101500",
        C.CLAVE_UNIDAD: "E48",
        C.METODO_PAGO: "PUE",
        C.FORMA_PAGO: "03",
        C.USO_CFDI: "G03",
        C.ESTADO: "Facturar",
    }
    cells.update(overrides)
    return cells


def columns_of(result):
    return [error.column for error in result]


class TestValidation:
    def test_a_good_row_becomes_a_request_with_binds_integer_cfdi_use_and_a_catalogue_service(self):
        request = validate_row(7, good(), SETTINGS)
        assert isinstance(request, InvoiceRequest)
        assert (request.quantity, request.price, request.cfdi_use, request.service_id) == (2.0, 1500.0, 2, SERVICE)

    @pytest.mark.parametrize(
        "column, value, fragment",
        [
            (C.RFC, "FLU99AB1", "formato de un RFC"),
            (C.RFC, "FLU991301AB1", "formato de un RFC"),  # month 13
            (C.CANTIDAD, 0, "mayor que 0"),
            (C.CANTIDAD, "dos", "no es un número"),
            (C.PRECIO, -1, "no puede ser negativo"),
            (C.CLAVE_PRODUCTO, "7210150", "8 dígitos"),
            (C.CLAVE_UNIDAD, "e4", None),  # upper-cased: E4 is a valid 2-char key, but no service is configured for it
            (C.METODO_PAGO, "PAGO", "PUE o PPD"),
            (C.FORMA_PAGO, "07", "c_FormaPago"),
            (C.USO_CFDI, "Z99", "uso de CFDI 4.0"),
            (C.REGIMEN, "60", "3 dígitos"),
            (C.CODIGO_POSTAL, "0660", None),  # 4 digits: a CP typed as a number, the leading zero restored
        ],
    )
    def test_each_rule_names_its_column_in_spanish(self, column, value, fragment):
        result = validate_row(7, good(**{column: value}), SETTINGS)
        if column == C.CLAVE_UNIDAD:
            assert columns_of(result) == [C.CLAVE_PRODUCTO] and "72101500/E4" in str(result[0])
            return
        if fragment is None:
            assert isinstance(result, InvoiceRequest) and result.codigo_postal == "00660"
            return
        assert columns_of(result) == [column]
        assert fragment in result[0].message

    def test_missing_required_columns_are_all_named(self):
        result = validate_row(7, good(**{C.RFC: "", C.CANTIDAD: None, C.USO_CFDI: " "}), SETTINGS)
        assert columns_of(result) == [C.RFC, C.CANTIDAD, C.USO_CFDI]
        assert all("obligatoria" in e.message for e in result)

    def test_ppd_needs_forma_99(self):
        assert columns_of(validate_row(7, good(**{C.METODO_PAGO: "PPD"}), SETTINGS)) == [C.FORMA_PAGO]
        assert isinstance(validate_row(7, good(**{C.METODO_PAGO: "PPD", C.FORMA_PAGO: "99"}), SETTINGS), InvoiceRequest)

    def test_cp01_is_a_use_but_needs_a_configured_bind_code(self):
        settings = settings_from_mapping({"services": {"72101500/E48": SERVICE}, "cfdi_use_codes": {"G03": 3}})
        result = validate_row(7, good(**{C.USO_CFDI: "CP01"}), settings)
        assert columns_of(result) == [C.USO_CFDI] and "cfdi_use_codes" in result[0].message
        assert validate_row(7, good(), settings).cfdi_use == 3

    def test_a_product_code_replaces_the_sat_keys(self):
        request = validate_row(
            7, good(**{C.CODIGO_PRODUCTO: "P-001", C.CLAVE_PRODUCTO: "", C.CLAVE_UNIDAD: ""}), SETTINGS
        )
        assert isinstance(request, InvoiceRequest) and (request.product_code, request.service_id) == ("P-001", "")

    def test_forma_pago_typed_as_a_number_keeps_its_two_digits(self):
        assert validate_row(7, good(**{C.FORMA_PAGO: 3.0}), SETTINGS).forma_pago == "03"


class TestSettings:
    def test_defaults_are_the_guessed_cfdi_table_and_say_so(self):
        settings = settings_from_mapping({})
        assert (
            settings.cfdi_use_is_default
            and settings.cfdi_use_codes["G03"] == 2
            and settings.cfdi_use_codes["S01"] == 22
        )
        assert (settings.per_run_limit, settings.reference_fields) == (50, ("Comments",))
        assert settings.missing() == ["warehouse_id", "price_list_id", "services or default_service_id"]

    @pytest.mark.parametrize(
        "mapping, setting",
        [
            ({"warehouse_id": "central"}, "warehouse_id"),
            ({"cfdi_use_codes": {"G03": "2"}}, "cfdi_use_codes"),
            ({"reference_fields": ["Reference"]}, "reference_fields"),
            ({"per_run_limit": 0}, "per_run_limit"),
            ({"vat_rate": 16}, "vat_rate"),
        ],
    )
    def test_a_bad_setting_is_named(self, mapping, setting):
        with pytest.raises(InvoicingSettingsError) as caught:
            settings_from_mapping(mapping)
        assert caught.value.setting == setting and f"fields_mapping.{setting}" in str(caught.value)


class TestReference:
    def test_bracketed_in_comments_so_a_longer_row_id_never_matches(self):
        ref = row_reference(1234, 77)
        assert carries({"Comments": comments_with(ref, "Mantenimiento")}, ref, ["Comments"])
        assert not carries({"Comments": comments_with(row_reference(1234, 771), "x")}, ref, ["Comments"])
        assert carries({"PurchaseOrder": ref}, ref, ["PurchaseOrder"])
        assert not carries({"PurchaseOrder": ref + "1"}, ref, ["PurchaseOrder"])

    def test_a_long_concept_is_cut_but_the_reference_never(self):
        text = comments_with("ss:1:2", "x" * 1000)
        assert text.endswith("[ss:1:2]") and len(text) <= 250

    def test_filter_quotes_the_reference(self):
        assert (
            lookup_filter(["ss:1:2"], ["PurchaseOrder", "Comments"])
            == "(PurchaseOrder eq 'ss:1:2' or substringof('[ss:1:2]', Comments))"
        )


def rows(*cell_sets):
    return [ExistingRow(index + 1, cells) for index, cells in enumerate(cell_sets)]


class TestPlan:
    def plan(self, sheet_rows, ledger=None, settings=SETTINGS, today=0):
        attempts = ledger or {}
        return plan_rows(sheet_rows, 99, settings, attempts.get, invoiced_today=today)

    def kinds(self, plan):
        return [(row.row_id, row.kind) for row in plan.rows]

    def test_each_state_gets_its_plan(self, tmp_path):
        ledger = InvoiceLedger(tmp_path / "l.db")
        ledger.created("ss:99:5", "b" * 8 + "-0000-4000-8000-" + "0" * 12, NOW, sheet_id=99, row_id=5)
        sheet = rows(
            good(),
            good(**{C.CANTIDAD: 0}),
            good(**{C.ESTADO: "Pendiente"}),
            good(**{C.ESTADO: "facturando "}),
            good(),
            good(**{C.ESTADO: "Facturar", C.UUID: "u-1"}),
            good(**{C.ESTADO: "Facturado", C.ID_BIND: "x", C.UUID: ""}),
            good(**{C.ESTADO: "Facturado", C.UUID: "u"}),
        )
        plan = plan_rows(sheet, 99, SETTINGS, ledger.get)
        assert self.kinds(plan) == [(1, INVOICE), (2, REFUSE), (4, RESUME), (5, ALREADY), (6, ALREADY), (7, FOLLOW)]

    def test_a_facturando_row_with_its_sale_in_the_ledger_is_recovered_not_posted(self, tmp_path):
        ledger = InvoiceLedger(tmp_path / "l.db")
        ledger.created("ss:99:1", "ab" * 4 + "-0000-4000-8000-" + "0" * 12, NOW, sheet_id=99, row_id=1)
        plan = plan_rows(rows(good(**{C.ESTADO: "Facturando"})), 99, SETTINGS, ledger.get)
        assert self.kinds(plan) == [(1, RECOVER)]

    def test_an_invalid_row_with_an_attempt_is_looked_up_before_refusing(self, tmp_path):
        ledger = InvoiceLedger(tmp_path / "l.db")
        assert ledger.begin("ss:99:1", 99, 1, "r1", NOW)
        plan = plan_rows(rows(good(**{C.CANTIDAD: 0})), 99, SETTINGS, ledger.get)
        assert self.kinds(plan) == [(1, RESUME)] and plan.rows[0].request is None

    def test_limits_defer_the_rows_past_them(self):
        settings = settings_from_mapping({"services": {"72101500/E48": SERVICE}, "per_run_limit": 2, "per_day_cap": 10})
        plan = self.plan(rows(*[good() for _ in range(4)]), settings=settings)
        assert [kind for _, kind in self.kinds(plan)] == [INVOICE, INVOICE, DEFERRED, DEFERRED]
        assert "límite por ejecución" in plan.rows[2].note
        capped = self.plan(rows(*[good() for _ in range(3)]), settings=settings, today=9)
        assert [kind for _, kind in self.kinds(capped)] == [INVOICE, DEFERRED, DEFERRED]
        assert "límite diario" in capped.rows[1].note


class TestLedger:
    def test_begin_is_a_lock_two_claims_never_both_hold_it(self, tmp_path):
        ledger = InvoiceLedger(tmp_path / "l.db")
        assert ledger.begin("ss:1:2", 1, 2, "a", NOW)
        assert not ledger.begin("ss:1:2", 1, 2, "b", NOW)
        assert ledger.get("ss:1:2").claim == "a" and ledger.get("ss:1:2").state == POSTING

    def test_a_takeover_is_a_compare_and_set_on_the_old_claim(self, tmp_path):
        ledger = InvoiceLedger(tmp_path / "l.db")
        ledger.begin("ss:1:2", 1, 2, "a", NOW)
        assert ledger.begin("ss:1:2", 1, 2, "b", NOW, replacing="a")
        assert not ledger.begin("ss:1:2", 1, 2, "c", NOW, replacing="a")

    def test_a_created_sale_is_never_taken_over_or_forgotten(self, tmp_path):
        ledger = InvoiceLedger(tmp_path / "l.db")
        ledger.begin("ss:1:2", 1, 2, "a", NOW)
        ledger.created("ss:1:2", "ID", NOW, claim="a")
        assert not ledger.begin("ss:1:2", 1, 2, "b", NOW, replacing="a")
        ledger.failed("ss:1:2", "a")
        assert ledger.get("ss:1:2").state == CREATED and ledger.count_on("2026-02-03") == 1

    def test_failed_frees_the_row_and_age_is_measured(self, tmp_path):
        ledger = InvoiceLedger(tmp_path / "l.db")
        ledger.begin("ss:1:2", 1, 2, "a", NOW - timedelta(minutes=20))
        assert ledger.get("ss:1:2").older_than(NOW, 15)
        ledger.failed("ss:1:2", "a")
        assert ledger.get("ss:1:2") is None
