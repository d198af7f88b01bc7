"""The OData v3 subset Bind's ASP.NET Web API accepts (contract §2.6, §7.4): ``$filter`` and ``$orderby``.

A tokenizer and a recursive-descent parser with ODataLib's precedence (or < and < comparison <
additive < multiplicative < unary < primary) that type-check against the entity's EDM types and
compile straight to Python closures: no ``eval``. Every malformed input raises ``ODataError``, which
the app turns into a 400; nothing here may raise anything else for any input text.

Semantics follow what LINQ with Web API's null propagation does: ``eq``/``ne`` compare nulls as values,
ordering comparisons with a null are false, ``and``/``or``/``not`` are three-valued and a row is kept
only when the filter is exactly true. Strings compare ordinally (case-sensitive). [G]
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from smartbind_pipelines.sandbox.bind.schema import (
    BOOL,
    DATETIME,
    DOUBLE,
    GUID,
    INT32,
    INT64,
    STRING,
    Entity,
    is_guid,
    sqlguid_key,
)

DECIMAL, SINGLE, DATETIMEOFFSET, TIME, BINARY, NULL = (
    "Edm.Decimal",
    "Edm.Single",
    "Edm.DateTimeOffset",
    "Edm.Time",
    "Edm.Binary",
    "<null>",
)
NUMERIC = frozenset({INT32, INT64, DOUBLE, DECIMAL, SINGLE})
INT_MAX, LONG_MAX = 2**31 - 1, 2**63 - 1

# [G] ODataLib's own limit is 800; Python recursion needs a tighter bound, and no real client nests 100 deep.
MAX_DEPTH = 100


class ODataError(ValueError):
    """A query option Bind would reject with 400; ``message`` is the Web API ``Message`` text."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail

    @property
    def message(self) -> str:
        return f"The query specified in the URI is not valid. {self.detail}"


@dataclass(frozen=True)
class Token:
    kind: str  # ws typed string number ident punct end
    text: str
    pos: int


@dataclass(frozen=True)
class Node:
    """A typed, compiled expression. ``prop``/``const`` let comparisons specialize to one closure call;
    ``strict`` means ``fn`` only ever returns True or False (never null)."""

    edm: str
    fn: Callable[[dict], Any]
    prop: str | None = None
    const: bool = False
    value: Any = None
    strict: bool = False


def _literal(edm: str, value) -> Node:
    return Node(edm, _const(value), const=True, value=value)


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<typed>(?i:datetimeoffset|datetime|guid|time|binary|x)'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:[mMdDfFlL](?![A-Za-z0-9_]))?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),/-])
""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos] == "'":
                raise ODataError(f"There is an unterminated string literal at position {pos} in '{text}'.")
            raise ODataError(f"Syntax error: character '{text[pos]}' is not valid at position {pos} in '{text}'.")
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _const(value) -> Callable[[dict], Any]:
    return lambda row: value


# --- operators -------------------------------------------------------------------------------------

_COMPARISONS = {
    "eq": ("Equal", operator.eq),
    "ne": ("NotEqual", operator.ne),
    "gt": ("GreaterThan", operator.gt),
    "ge": ("GreaterThanOrEqual", operator.ge),
    "lt": ("LessThan", operator.lt),
    "le": ("LessThanOrEqual", operator.le),
}


def _int_div(a, b):
    quotient = abs(a) // abs(b)  # C# truncates toward zero
    return quotient if (a >= 0) == (b >= 0) else -quotient


def _divide(a, b):
    return _int_div(a, b) if isinstance(a, int) and isinstance(b, int) else a / b


def _modulo(a, b):
    return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else a - b * _int_div(a, b)


_ARITHMETIC = {
    "add": ("Add", operator.add),
    "sub": ("Subtract", operator.sub),
    "mul": ("Multiply", operator.mul),
    "div": ("Divide", _divide),
    "mod": ("Modulo", _modulo),
}


def _incompatible(kind: str, left: Node, right: Node) -> ODataError:
    return ODataError(
        "A binary operator with incompatible types was detected. Found operand types "
        f"'{left.edm}' and '{right.edm}' for operator kind '{kind}'."
    )


def _comparable(a: str, b: str) -> bool:
    return a == NULL or b == NULL or a == b or (a in NUMERIC and b in NUMERIC)


_MIRRORED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}


def _compare_property(word: str, name: str, constant, guid: bool) -> Node:
    """``Property op literal``, the common case, as a single closure (the hot loop of every filter)."""
    if word == "eq":
        return Node(BOOL, lambda row: row.get(name) == constant, strict=True)
    if word == "ne":
        return Node(BOOL, lambda row: row.get(name) != constant, strict=True)
    if constant is None:
        return Node(BOOL, lambda row: False, strict=True)
    op = _COMPARISONS[word][1]
    if guid:
        key = sqlguid_key(constant)
        return Node(BOOL, lambda row: (v := row.get(name)) is not None and op(sqlguid_key(v), key), strict=True)
    return Node(BOOL, lambda row: (v := row.get(name)) is not None and op(v, constant), strict=True)


def _compare(word: str, left: Node, right: Node) -> Node:
    kind, op = _COMPARISONS[word]
    if not _comparable(left.edm, right.edm):
        raise _incompatible(kind, left, right)
    guid = GUID in (left.edm, right.edm)
    if left.prop and right.const:
        return _compare_property(word, left.prop, right.value, guid)
    if right.prop and left.const:
        return _compare_property(_MIRRORED[word], right.prop, left.value, guid)
    lf, rf = left.fn, right.fn
    if word in ("eq", "ne"):
        return Node(BOOL, lambda row: op(lf(row), rf(row)), strict=True)
    key = sqlguid_key if guid else None

    def ordered(row):
        a, b = lf(row), rf(row)
        if a is None or b is None:
            return False
        return op(key(a), key(b)) if key else op(a, b)

    return Node(BOOL, ordered, strict=True)


def _arith_type(a: str, b: str) -> str:
    if a == NULL:
        return b if b != NULL else INT32
    if b == NULL:
        return a
    if DOUBLE in (a, b) or SINGLE in (a, b) or DECIMAL in (a, b):
        return DOUBLE
    return INT64 if INT64 in (a, b) else INT32


def _arithmetic(word: str, left: Node, right: Node) -> Node:
    kind, op = _ARITHMETIC[word]
    if not all(t in NUMERIC or t == NULL for t in (left.edm, right.edm)):
        raise _incompatible(kind, left, right)
    lf, rf = left.fn, right.fn

    def compute(row):
        a, b = lf(row), rf(row)
        if a is None or b is None:
            return None
        try:
            return op(a, b)
        except ZeroDivisionError:  # [G] .NET would answer 500 for integers; a null keeps the row out
            return None

    return Node(_arith_type(left.edm, right.edm), compute)


def _logical(word: str, left: Node, right: Node) -> Node:
    kind = "And" if word == "and" else "Or"
    if left.edm not in (BOOL, NULL) or right.edm not in (BOOL, NULL):
        raise _incompatible(kind, left, right)
    lf, rf = left.fn, right.fn
    if left.strict and right.strict:  # no nulls possible: plain two-valued logic
        if word == "or":
            return Node(BOOL, lambda row: lf(row) or rf(row), strict=True)
        return Node(BOOL, lambda row: lf(row) and rf(row), strict=True)
    decisive = word == "or"  # True decides an or, False decides an and

    def combine(row):
        a = lf(row)
        if a is decisive:
            return decisive
        b = rf(row)
        if b is decisive:
            return decisive
        return None if a is None or b is None else not decisive

    return Node(BOOL, combine)


# --- functions (OData v3 names; case-sensitive like ODataLib) ---------------------------------------


def _substring(s, start, length=None):
    return s[start:] if length is None else s[start : start + length]


_FUNCTIONS: dict[str, list[tuple[tuple[str, ...], str, Callable]]] = {
    "substringof": [((STRING, STRING), BOOL, lambda needle, hay: needle in hay)],
    "startswith": [((STRING, STRING), BOOL, lambda s, prefix: s.startswith(prefix))],
    "endswith": [((STRING, STRING), BOOL, lambda s, suffix: s.endswith(suffix))],
    "tolower": [((STRING,), STRING, str.lower)],
    "toupper": [((STRING,), STRING, str.upper)],
    "trim": [((STRING,), STRING, str.strip)],
    "length": [((STRING,), INT32, len)],
    "indexof": [((STRING, STRING), INT32, lambda s, part: s.find(part))],
    "concat": [((STRING, STRING), STRING, operator.add)],
    "replace": [((STRING, STRING, STRING), STRING, lambda s, old, new: s.replace(old, new))],
    "substring": [((STRING, INT32), STRING, _substring), ((STRING, INT32, INT32), STRING, _substring)],
    "year": [((DATETIME,), INT32, lambda d: d.year)],
    "month": [((DATETIME,), INT32, lambda d: d.month)],
    "day": [((DATETIME,), INT32, lambda d: d.day)],
    "hour": [((DATETIME,), INT32, lambda d: d.hour)],
    "minute": [((DATETIME,), INT32, lambda d: d.minute)],
    "second": [((DATETIME,), INT32, lambda d: d.second)],
    "round": [((DOUBLE,), DOUBLE, lambda x: float(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1))],
    "floor": [((DOUBLE,), DOUBLE, lambda x: float(math.floor(x)))],
    "ceiling": [((DOUBLE,), DOUBLE, lambda x: float(math.ceil(x)))],
}


def _accepts(param: str, actual: str) -> bool:
    if actual == NULL or param == actual:
        return True
    if param == DOUBLE:
        return actual in NUMERIC
    return param == INT32 and actual == INT64


def _caller(impl: Callable, fns: list[Callable[[dict], Any]]) -> Callable[[dict], Any]:
    """Null in, null out; arities 1 and 2 get their own closure because filters run per row."""
    if len(fns) == 1:
        (f0,) = fns
        return lambda row: None if (a := f0(row)) is None else impl(a)
    if len(fns) == 2:
        f0, f1 = fns
        return lambda row: None if (a := f0(row)) is None or (b := f1(row)) is None else impl(a, b)

    def call(row):
        values = [f(row) for f in fns]
        return None if any(v is None for v in values) else impl(*values)

    return call


def _call(name: str, args: list[Node]) -> Node:
    signatures = _FUNCTIONS.get(name)
    if signatures is None:
        raise ODataError(
            f"An unknown function with name '{name}' was found. This may also be a key lookup "
            "on a navigation property, which is not allowed."
        )
    for params, result, impl in signatures:
        if len(params) == len(args) and all(_accepts(p, a.edm) for p, a in zip(params, args)):
            return Node(result, _caller(impl, [a.fn for a in args]))
    considered = "; ".join(f"{name}({', '.join(p)})" for p, _, _ in signatures)
    raise ODataError(
        f"No function signature for the function with name '{name}' matches the specified "
        f"arguments. The function signatures considered are: {considered}."
    )


# --- literals -------------------------------------------------------------------------------------

_DATETIME_LITERAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$")


def _typed_literal(token: Token, text: str) -> Node:
    prefix, _, body = token.text.partition("'")
    body = body[:-1].replace("''", "'")
    prefix = prefix.lower()

    def bad(edm: str) -> ODataError:
        return ODataError(f"Unrecognized '{edm}' literal '{token.text}' at '{token.pos}' in '{text}'.")

    if prefix == "datetime":
        match = _DATETIME_LITERAL.match(body)
        if not match:
            raise bad(DATETIME)
        y, mo, d, h, mi, s, frac = match.groups()
        try:
            value = datetime(
                int(y), int(mo), int(d), int(h), int(mi), int(s or 0), int((frac or "0").ljust(6, "0")[:6])
            )
        except ValueError:
            raise bad(DATETIME) from None
        return _literal(DATETIME, value)
    if prefix == "guid":
        if not is_guid(body):
            raise bad(GUID)
        return _literal(GUID, body.lower())
    if prefix == "datetimeoffset":
        try:
            value = datetime.fromisoformat(body.replace("Z", "+00:00"))
        except ValueError:
            raise bad(DATETIMEOFFSET) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return _literal(DATETIMEOFFSET, value)
    return _literal(TIME if prefix == "time" else BINARY, body)


def _number_literal(token: Token, text: str) -> Node:
    raw = token.text
    suffix = raw[-1].lower() if raw[-1].isalpha() and raw[-1].lower() in "mdfl" else ""
    digits = raw[:-1] if suffix else raw
    if suffix == "l" or (not suffix and not any(c in digits for c in ".eE")):
        if any(c in digits for c in ".eE"):
            raise ODataError(f"Unrecognized '{INT64}' literal '{raw}' at '{token.pos}' in '{text}'.")
        value = int(digits)
        if value > LONG_MAX:
            raise ODataError(f"Unrecognized '{INT64}' literal '{raw}' at '{token.pos}' in '{text}'.")
        return _literal(INT64 if suffix == "l" or value > INT_MAX else INT32, value)
    value = float(digits)
    if math.isinf(value):
        raise ODataError(f"Unrecognized '{DOUBLE}' literal '{raw}' at '{token.pos}' in '{text}'.")
    return _literal({"m": DECIMAL, "f": SINGLE}.get(suffix, DOUBLE), value)


# --- parser ---------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, entity: Entity):
        self.text = text
        self.entity = entity
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_word(self, *words: str) -> bool:
        return self.token.kind == "ident" and self.token.text in words

    def at_punct(self, char: str) -> bool:
        return self.token.kind == "punct" and self.token.text == char

    def syntax_error(self, token: Token | None = None) -> ODataError:
        token = token or self.token
        if token.kind == "end":
            return ODataError(f"Expression expected at position {token.pos} in '{self.text}'.")
        return ODataError(f"Syntax error at position {token.pos} in '{self.text}'.")

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ODataError(f"The recursion limit of {MAX_DEPTH} has been exceeded in '{self.text}'.")

    def expression(self) -> Node:
        self.nest()
        node = self.logical_or()
        self.depth -= 1
        return node

    def logical_or(self) -> Node:
        node = self.logical_and()
        while self.at_word("or"):
            self.advance()
            node = _logical("or", node, self.logical_and())
        return node

    def logical_and(self) -> Node:
        node = self.comparison()
        while self.at_word("and"):
            self.advance()
            node = _logical("and", node, self.comparison())
        return node

    def comparison(self) -> Node:
        node = self.additive()
        while self.at_word(*_COMPARISONS):
            word = self.advance().text
            node = _compare(word, node, self.additive())
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.at_word("add", "sub"):
            word = self.advance().text
            node = _arithmetic(word, node, self.multiplicative())
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.at_word("mul", "div", "mod"):
            word = self.advance().text
            node = _arithmetic(word, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at_punct("-") or self.at_word("not"):
            word = self.advance().text
            self.nest()
            operand = self.unary()
            self.depth -= 1
            fn = operand.fn
            if word == "not":
                if operand.edm not in (BOOL, NULL):
                    raise ODataError(
                        f"A unary operator with an incompatible type was detected. Found operand "
                        f"type '{operand.edm}' for operator kind 'Not'."
                    )
                if operand.strict:
                    return Node(BOOL, lambda row: not fn(row), strict=True)
                return Node(BOOL, lambda row: None if (v := fn(row)) is None else not v)
            if operand.edm not in NUMERIC:
                raise ODataError(
                    f"A unary operator with an incompatible type was detected. Found operand "
                    f"type '{operand.edm}' for operator kind 'Negate'."
                )
            return Node(operand.edm, lambda row: None if (v := fn(row)) is None else -v)
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "punct" and token.text == "(":
            self.advance()
            node = self.expression()
            if not self.at_punct(")"):
                raise ODataError(f"')' or operator expected at position {self.token.pos} in '{self.text}'.")
            self.advance()
            return node
        if token.kind == "string":
            self.advance()
            return _literal(STRING, token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            self.advance()
            return _number_literal(token, self.text)
        if token.kind == "typed":
            self.advance()
            return _typed_literal(token, self.text)
        if token.kind != "ident":
            raise self.syntax_error()
        self.advance()
        if token.text in ("true", "false"):
            return _literal(BOOL, token.text == "true")
        if token.text == "null":
            return _literal(NULL, None)
        if self.at_punct("("):
            return self.function(token.text)
        return self.property(token)

    def function(self, name: str) -> Node:
        self.advance()  # "("
        args: list[Node] = []
        if not self.at_punct(")"):
            args.append(self.expression())
            while self.at_punct(","):
                self.advance()
                args.append(self.expression())
        if not self.at_punct(")"):
            raise ODataError(f"')' or ',' expected at position {self.token.pos} in '{self.text}'.")
        self.advance()
        return _call(name, args)

    def property(self, token: Token) -> Node:
        name = token.text
        edm = self.entity.types.get(name)
        if edm is None:
            raise ODataError(f"Could not find a property named '{name}' on type '{self.entity.qualified_name}'.")
        return Node(edm, lambda row: row.get(name), prop=name)


def _parse(text: str, entity: Entity, build):
    try:
        return build(_Parser(text, entity))
    except RecursionError:
        raise ODataError(f"The recursion limit has been exceeded in '{text}'.") from None


def compile_filter(text: str, entity: Entity) -> Callable[[dict], bool]:
    """``$filter`` text -> a predicate over records; raises ODataError."""

    def build(parser: _Parser):
        node = parser.expression()
        if parser.token.kind != "end":
            raise parser.syntax_error()
        if node.edm != BOOL:
            raise ODataError("The $filter expression must evaluate to a single boolean value.")
        fn = node.fn
        return fn if node.strict else (lambda row: fn(row) is True)

    return _parse(text, entity, build)


def compile_orderby(text: str, entity: Entity) -> list[tuple[Callable[[dict], Any], bool, bool]]:
    """``$orderby`` text -> [(value of a record, is a GUID, descending)]. The caller sorts."""

    def build(parser: _Parser):
        terms = []
        while True:
            node = parser.expression()
            descending = False
            if parser.at_word("asc", "desc"):
                descending = parser.advance().text == "desc"
            terms.append((node.fn, node.edm == GUID, descending))
            if parser.token.kind == "end":
                return terms
            if not parser.at_punct(","):
                raise parser.syntax_error()
            parser.advance()

    return _parse(text, entity, build)
