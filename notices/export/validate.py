"""Check an eForms notice by the publishers' own rules: XML Schema, then Schematron.

* **XML Schema** with lxml: the eForms SDK's ``schemas/maindoc`` for an EU notice, Hilma's ``schemas/`` for
  a national one. Hilma's schemas import the SDK's common schemas from ``../ted/sdk/schemas/``; a resolver
  sends that path to the SDK folder (``EFORMS_SDK_DIR``). One known defect of Hilma's schema is corrected
  in memory, never in a copy: ``NationalNoticeExtension.xsd`` makes ``hilma:TenderingProcess``,
  ``hilma:NoticeResult`` and ``hilma:ReadOnlyFields`` mandatory in every national notice, while Hilma's
  rules forbid what they would hold in an E3 (an empty element is an error of its own, and
  ``FI-E3-FI-70-1`` / ``FI-E3-FI-OPT-100-Contract-1`` forbid a settled contract's content) and Hilma's own
  ``E3_minimum.xml`` has none of them; those three are loaded as optional (``_HILMA_OPTIONAL``; a test
  pins the contradiction, so a fixed schema is noticed).
* **Schematron**: the SDK's ``schematrons/static/complete-validation.sch`` (EU) and Hilma's
  ``schematrons/hilma-validation.sch`` (national, its ``{sdk-path}`` includes pointed at the SDK folder),
  run by a real implementation: SchXslt2's ``transpile.xsl`` turns the schema into an XSLT validator and
  Saxon-HE (``saxonche``) runs it and writes an SVRL report. Only the phase of the notice's subtype is
  transpiled, as the rules themselves define it (``eforms-16``; Hilma: ``eforms-shared`` + ``eforms-E3``,
  two reports merged as Hilma's readme describes): measured here, all phases at once make a 48 MB
  stylesheet that takes ~52 s and 4 GB to compile, one phase ~7 MB and 2-3 s. Every rule of a phase
  guards itself with the subtype, so the phase holds every rule that can fire on the notice.
* **Caching.** Transpiled XSLT is kept on disk under ``EFORMS_RULES_CACHE_DIR/<hash>/`` where the hash
  covers the transpiler, every ``.sch`` file and the SDK path; a change of rules makes a new folder.
  Compiled stylesheets live in the process that compiled them (``warm()``): call it in the long-lived
  validator process or the scheduler at start (``manage.py warm_eforms_rules`` does both steps), never in
  a web request. ``check()`` compiles on first need in whatever process calls it: pages and the API never
  call it, they ask the process that holds the rules compiled (``notices.export.checks``).
* **Findings.** Each failed rule becomes a ``Finding``: the rule id, its severity, where in the XML it
  fired, the eForms field it concerns (the rule's ``diagnostics`` reference, or for Hilma's rules the field
  named in the rule id), that field's label in Finnish, Swedish and English from the SDK's
  ``translations/field_*.xml``, the officer's form field it maps to (``notices.export.fields.form_path``,
  None when it maps to none: shown as such) and what the rule requires, phrased from the rule's own test
  (the SDK's rule texts are not available here).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"
SCH = "http://purl.oclc.org/dsdl/schematron"
XSD = "http://www.w3.org/2001/XMLSchema"
HILMA_NS = "urn:hanselHilma:NationalNoticeExtension"
_SCHXSLT_PHASE = "{http://dmaus.name/ns/2023/schxslt}phase"
_HILMA_OPTIONAL = ("TenderingProcess", "NoticeResult", "ReadOnlyFields")
_SAFE = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False, huge_tree=True)

KINDS = ("national", "eu")


@dataclass(frozen=True)
class Finding:
    """One failed rule. ``path`` is the officer's form field it concerns (None: not mapped to a field)."""

    rule: str  # BR-BT-00507-0212, FI-E3-BT-105-Procedure-1, or "XSD"
    severity: str  # ERROR, WARN, INFO
    location: str  # where in the XML (an XPath, or "line N" for the schema)
    field: str | None  # the eForms field id, e.g. BT-507-Organization-Company
    labels: dict = field(default_factory=dict)  # {"fi": ..., "sv": ..., "en": ...} of the field
    messages: dict = field(default_factory=dict)  # what the rule requires, per language
    path: tuple | None = None  # e.g. ("eforms", "buyer_nuts"), ("lots", 2, "title")
    test: str = ""  # the rule's test, for the curious

    @property
    def blocking(self) -> bool:
        return self.severity in ("ERROR", "FATAL")

    def label(self, language: str = "fi") -> str:
        return self.labels.get(language) or self.labels.get("en") or self.field or ""

    def message(self, language: str = "fi") -> str:
        return self.messages.get(language) or self.messages.get("en") or ""

    def as_json(self, language: str | None = None) -> dict:
        data = asdict(self)
        data["path"] = list(self.path) if self.path is not None else None
        if language:
            data["label"] = self.label(language)
            data["text"] = self.message(language)
        return data

    @classmethod
    def from_json(cls, data: dict) -> Finding:
        """The finding ``as_json()`` gave (a validator's answer, a stored TED report)."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        path = known.get("path")
        known["path"] = tuple(path) if path is not None else None
        return cls(**known)


@dataclass
class Report:
    """What a check found and how long it took."""

    kind: str
    findings: list[Finding]
    seconds: dict  # {"schema": s, "rules": s}

    @property
    def ok(self) -> bool:
        return not any(f.blocking for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]


# ---------------------------------------------------------------------- where the rules are


def sdk_dir() -> Path:
    return Path(settings.EFORMS_SDK_DIR)


def hilma_dir() -> Path:
    return Path(settings.HILMA_SDK_DIR)


def transpiler() -> Path:
    return Path(settings.SCHXSLT_TRANSPILER)


def cache_dir() -> Path:
    return Path(settings.EFORMS_RULES_CACHE_DIR)


# ---------------------------------------------------------------------- XML Schema


class _SdkResolver(etree.Resolver):
    """Hilma's ``../ted/sdk/schemas/...`` is the SDK's ``schemas/...``; Hilma's extension schema is loaded
    with its two read-only/result blocks optional (see the module docstring)."""

    _MARKER = "/ted/sdk/schemas/"

    def resolve(self, url, pubid, context):
        if self._MARKER in url:
            return self.resolve_filename(str(sdk_dir() / "schemas" / url.split(self._MARKER, 1)[1]), context)
        if url.endswith("NationalNoticeExtension.xsd"):
            path = hilma_dir() / "schemas" / "NationalNoticeExtension.xsd"
            return self.resolve_string(_patched_extension(path), context, base_url=str(path))
        return None


def _patched_extension(path: Path) -> bytes:
    tree = etree.parse(str(path), _SAFE)
    for name in _HILMA_OPTIONAL:
        for element in tree.iterfind(f".//{{{XSD}}}element[@name='{name}']"):
            element.set("minOccurs", "0")
    return etree.tostring(tree)


@lru_cache(maxsize=4)
def schema(kind: str) -> etree.XMLSchema:
    """The XML Schema of a contract notice of this kind (cached per process; ~0.05 s to load)."""
    if kind == "eu":
        path = sdk_dir() / "schemas" / "maindoc" / "UBL-ContractNotice-2.3.xsd"
    elif kind == "national":
        path = hilma_dir() / "schemas" / "NationalContractNotice.xsd"
    else:
        raise ValueError(f"unknown kind {kind!r}")
    parser = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False)
    parser.resolvers.add(_SdkResolver())
    return etree.XMLSchema(etree.parse(str(path), parser))


def check_schema(xml: bytes, kind: str) -> list[Finding]:
    """Every XML Schema error of ``xml`` as a finding (not mapped to a form field: the export made it)."""
    document = etree.fromstring(xml, _SAFE).getroottree()
    validator = schema(kind)
    if validator.validate(document):
        return []
    findings = []
    for error in validator.error_log:
        text = error.message
        findings.append(
            Finding(
                rule="XSD",
                severity="ERROR",
                location=f"line {error.line}: {error.path or ''}".strip(),
                field=None,
                messages={lang: text for lang in ("fi", "sv", "en")},
            )
        )
    return findings


# ---------------------------------------------------------------------- Schematron: sources and cache


@dataclass(frozen=True)
class RuleSet:
    name: str  # "eu" or "national"
    phases: tuple[str, ...]


def rule_sets(kind: str, subtype: str) -> RuleSet:
    """The Schematron phases a notice of this kind and subtype is checked with, as the publishers run them."""
    if kind == "eu":
        return RuleSet("eu", (f"eforms-{subtype}",))
    if kind == "national":
        return RuleSet("national", ("eforms-shared", f"eforms-{subtype}"))
    raise ValueError(f"unknown kind {kind!r}")


def _rule_files(name: str) -> list[Path]:
    files = sorted((sdk_dir() / "schematrons" / "static").glob("*.sch"))
    if name == "national":
        files += sorted((hilma_dir() / "schematrons").rglob("*.sch"))
    return files


@lru_cache(maxsize=4)
def rules_hash(name: str) -> str:
    """SHA-256 over the transpiler, every rule file (name and bytes) and the SDK path substituted."""
    digest = hashlib.sha256()
    digest.update(transpiler().read_bytes())
    digest.update(str(sdk_dir().resolve()).encode())
    for path in _rule_files(name):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _schema_source(name: str, folder: Path) -> Path:
    """The .sch file to transpile. Hilma's includes the SDK's files through ``{sdk-path}``: a substituted
    copy goes into the cache folder, its own ``./`` includes made absolute so they resolve from there."""
    if name == "eu":
        return sdk_dir() / "schematrons" / "static" / "complete-validation.sch"
    source = hilma_dir() / "schematrons" / "hilma-validation.sch"
    text = source.read_text(encoding="utf-8")
    text = text.replace("{sdk-path}", sdk_dir().resolve().as_uri())
    base = source.parent.resolve().as_uri()
    text = re.sub(r'href="\./', f'href="{base}/', text)
    target = folder / "hilma-validation.sch"
    _write_atomically(target, text.encode("utf-8"))
    return target


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


_lock = threading.RLock()
_processor = None
_compiled: dict[tuple[str, str, str], object] = {}
TIMINGS: dict[str, float] = {}  # what the last transpile/compile of each phase took, in seconds


def _saxon():
    global _processor
    with _lock:
        if _processor is None:
            from saxonche import PySaxonProcessor

            _processor = PySaxonProcessor(license=False)
        return _processor


def transpiled(name: str, phase: str) -> Path:
    """The XSLT validator of one phase, transpiled once into the cache (atomic, so processes may race)."""
    folder = cache_dir() / rules_hash(name)
    target = folder / f"{name}-{phase}.xsl"
    if target.exists():
        return target
    with _lock:
        if target.exists():
            return target
        started = time.monotonic()
        source = _schema_source(name, folder)
        processor = _saxon()
        xslt = processor.new_xslt30_processor()
        executable = xslt.compile_stylesheet(stylesheet_file=str(transpiler()))
        executable.set_parameter(_SCHXSLT_PHASE, processor.make_string_value(phase))
        temp = folder / f".{name}-{phase}.{os.getpid()}.xsl"
        executable.transform_to_file(source_file=str(source), output_file=str(temp))
        temp.write_text(fix_tunnelling(temp.read_text(encoding="utf-8")), encoding="utf-8")
        os.replace(temp, target)
        TIMINGS[f"transpile {name} {phase}"] = time.monotonic() - started
    return target


_FALLBACK = re.compile(
    r'(<template match="\*" mode="([^"]+)" priority="-10">)'
    r'<apply-templates select="@\*" mode="#current"/><apply-templates select="node\(\)" mode="#current"/>'
    r"(</template>)"
)
_RESET = (
    '<with-param name="Q{http://dmaus.name/ns/2023/schxslt}pattern" '
    'as="Q{http://www.w3.org/2001/XMLSchema}string*" tunnel="yes" select="()"/>'
)


def fix_tunnelling(xslt: str) -> str:
    """Correct one defect of SchXslt2's output (commit 446f8b7, transpile.xsl lines 334-336).

    Each rule template records its pattern in a tunnel parameter and calls ``next-match``, so a later rule
    of the same pattern on the same node is suppressed, as Schematron wants (the first matching rule of a
    pattern wins). The catch-all template reached at the end of that chain then applies templates to the
    node's children without resetting the parameter, and tunnel parameters pass through: every rule of a
    pattern that fired on an ancestor is suppressed on the descendants. Measured here: a notice without a
    procedure description (BR-BT-00024-0022) passed. The fix passes an empty pattern list to the children,
    which is what the transpiler means (each node starts afresh)."""
    fixed, count = _FALLBACK.subn(
        lambda m: m.group(1)
        + f'<apply-templates select="@*" mode="#current">{_RESET}</apply-templates>'
        + f'<apply-templates select="node()" mode="#current">{_RESET}</apply-templates>'
        + m.group(3),
        xslt,
    )
    if not count:
        raise RuntimeError("the transpiled Schematron has no catch-all template to correct: has SchXslt2 changed?")
    return fixed


def _validator(name: str, phase: str):
    key = (name, phase, rules_hash(name))
    with _lock:
        found = _compiled.get(key)
        if found is None:
            path = transpiled(name, phase)
            started = time.monotonic()
            found = _saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
            TIMINGS[f"compile {name} {phase}"] = time.monotonic() - started
            _compiled[key] = found
        return found


def warm(kinds=KINDS, subtypes: dict | None = None) -> dict[str, float]:
    """Transpile (into the disk cache) and compile (into this process) the rules the exports need, ahead of
    need. Returns the seconds each step took (empty when everything was ready)."""
    subtypes = subtypes or {"eu": "16", "national": "E3"}
    before = dict(TIMINGS)
    for kind in kinds:
        rules = rule_sets(kind, subtypes[kind])
        for phase in rules.phases:
            _validator(rules.name, phase)
        rule_fields(rules.name)  # kept beside the XSLT: reading a report later parses no rule file
    return {k: v for k, v in TIMINGS.items() if before.get(k) != v}


def is_warm(kind: str, subtype: str) -> bool:
    rules = rule_sets(kind, subtype)
    return all((rules.name, phase, rules_hash(rules.name)) in _compiled for phase in rules.phases)


# ---------------------------------------------------------------------- Schematron: running and reading


def svrl(xml: bytes, kind: str, subtype: str) -> list[bytes]:
    """The SVRL report(s) of ``xml`` by the rules of its kind and subtype (one per phase)."""
    rules = rule_sets(kind, subtype)
    reports = []
    for phase in rules.phases:
        validator = _validator(rules.name, phase)
        with _lock:  # a compiled stylesheet is not thread-safe; a run takes 0.01-0.1 s
            node = _saxon().parse_xml(xml_text=xml.decode("utf-8"))
            reports.append(validator.transform_to_string(xdm_node=node).encode("utf-8"))
    return reports


def check_rules(xml: bytes, kind: str, subtype: str, *, context=None) -> list[Finding]:
    """Every failed assertion and every report of the publisher's Schematron rules, as findings."""
    return read_svrl(svrl(xml, kind, subtype), rule_sets(kind, subtype).name, context=context, kind=kind)


def read_svrl(reports: list[bytes], name: str = "eu", *, context=None, kind: str | None = None) -> list[Finding]:
    """Findings from SVRL reports: ours, or the one TED keeps for a submitted notice (``name``: the rule
    set whose files say which field each rule concerns)."""
    from notices.export import fields  # here: fields imports this module's Finding

    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for report in reports:
        root = etree.fromstring(report, _SAFE)
        for fired in root.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
            rule = fired.get("id") or "?"
            location = fired.get("location") or ""
            if (rule, location) in seen:
                continue
            seen.add((rule, location))
            test = fired.get("test") or ""
            field_id = _field_of(fired, rule) or rule_fields(name).get(rule)
            findings.append(
                Finding(
                    rule=rule,
                    severity=(fired.get("role") or "ERROR").upper(),
                    location=_readable(location),
                    field=field_id,
                    labels=labels(field_id),
                    messages=requirement(test, fired.tag.endswith("successful-report")),
                    path=fields.form_path(field_id, location, context, kind or name),
                    test=test,
                )
            )
    return findings


def check(xml: bytes, kind: str, *, context=None) -> Report:
    """XML Schema, then (when the schema passes or not: both are shown) the Schematron rules."""
    started = time.monotonic()
    findings = check_schema(xml, kind)
    schema_seconds = time.monotonic() - started
    subtype = subtype_of(xml)
    started = time.monotonic()
    findings += check_rules(xml, kind, subtype, context=context)
    return Report(kind, findings, {"schema": schema_seconds, "rules": time.monotonic() - started})


_SUBTYPE = re.compile(rb'<cbc:SubTypeCode listName="notice-subtype">([^<]+)</cbc:SubTypeCode>')


def subtype_of(xml: bytes) -> str:
    match = _SUBTYPE.search(xml)
    if not match:
        raise ValueError("the notice has no subtype (OPP-070)")
    return match.group(1).decode().strip()


def _field_of(fired: etree._Element, rule: str) -> str | None:
    for text in fired.iter(f"{{{SVRL}}}text"):
        see = text.get("see") or ""
        if see.startswith("field:"):
            return see[len("field:") :]
    for reference in fired.iter(f"{{{SVRL}}}diagnostic-reference"):
        name = reference.get("diagnostic") or ""
        if name and not name.startswith("ND-"):
            return name.replace("_", "(", 1).replace("_", ")", 1) if "_" in name else name
    # Hilma's rules: FI-E3-BT-105-Procedure-1, FI-E3-FI-11-1, FI-125-2.
    match = re.fullmatch(r"FI-(?:[A-Z]?\d+|E\d|CEI|T0\d|X0\d)-((?:BT|OPP|OPT|OPA)-[\w()-]+?|FI-[\w-]+?)-\d+", rule)
    if match:
        return re.sub(r"_(\w)_", r"(\1)", match.group(1))
    match = re.fullmatch(r"FI-(\d+)-\d+", rule)
    if match:
        return f"FI-{match.group(1)}"
    return None


def rule_fields(name: str) -> dict[str, str]:
    """rule id -> eForms field id, read once from the rule files and kept beside the transpiled XSLT.

    Most assertions name their field (``diagnostics``); a code-list assertion does not, but the rule it
    sits in does, through a sibling (``BT-507-Organization-Company-List_MA`` or one with diagnostics)."""

    with _lock:
        cached = _RULE_FIELDS.get(name)
        if cached is not None:
            return cached
        path = cache_dir() / rules_hash(name) / f"{name}-rule-fields.json"
        if path.exists():
            found = json.loads(path.read_text())
        else:
            found = _index_rule_fields(name)
            _write_atomically(path, json.dumps(found, sort_keys=True).encode())
        _RULE_FIELDS[name] = found
        return found


_RULE_FIELDS: dict[str, dict[str, str]] = {}


def _index_rule_fields(name: str) -> dict[str, str]:
    diagnostics: dict[str, str] = {}
    files = _rule_files(name)
    trees = [etree.parse(str(path), _SAFE) for path in files]
    for tree in trees:
        for diagnostic in tree.iter(f"{{{SCH}}}diagnostic"):
            see = diagnostic.get("see") or ""
            if see.startswith("field:"):
                diagnostics[diagnostic.get("id")] = see[len("field:") :]
    found: dict[str, str] = {}
    for tree in trees:
        for rule in tree.iter(f"{{{SCH}}}rule"):
            asserts = list(rule.iter(f"{{{SCH}}}assert", f"{{{SCH}}}report"))
            named = None
            for a in asserts:
                ident = a.get("id") or ""
                if ident.endswith("-List_MA"):
                    named = ident[: -len("-List_MA")]
                    break
            if named is None:
                named = next((diagnostics[a.get("diagnostics")] for a in asserts
                              if a.get("diagnostics") in diagnostics), None)
            for a in asserts:
                ident = a.get("id")
                own = diagnostics.get(a.get("diagnostics") or "")
                if ident and (own or named):
                    found[ident] = own or named
    return found


def _readable(location: str) -> str:
    """``/Q{urn:...}ContractNotice[1]/Q{...}ProcurementProjectLot[2]`` as ``/ContractNotice[1]/...[2]``."""
    return re.sub(r"Q\{[^}]*\}", "", location)


# ---------------------------------------------------------------------- labels and messages

_NATIONAL_LABELS = {
    "FI-11": {"fi": "Sovellettava lainsäädäntö", "sv": "Tillämplig lagstiftning", "en": "Applicable legislation"},
    "FI-20": {
        "fi": "EU-direktiivien soveltaminen",
        "sv": "EU-direktiven tillämpas",
        "en": "EU directives apply",
    },
    "FI-30": {
        "fi": "Ennakoitu arvo ylittää kansallisen kynnysarvon",
        "sv": "Det uppskattade värdet överstiger det nationella tröskelvärdet",
        "en": "Estimated value exceeds the national threshold",
    },
}


@lru_cache(maxsize=1)
def _translations() -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {}
    for language in ("fi", "sv", "en"):
        path = sdk_dir() / "translations" / f"field_{language}.xml"
        root = etree.parse(str(path), _SAFE).getroot()
        for entry in root.iter("entry"):
            key = entry.get("key") or ""
            if key.startswith("field|name|"):
                names.setdefault(key[len("field|name|") :], {})[language] = (entry.text or "").strip()
    return names


def labels(field_id: str | None) -> dict[str, str]:
    """The field's name in fi/sv/en as the SDK translates it (Hilma's own fields from this module)."""
    if not field_id:
        return {}
    if field_id in _NATIONAL_LABELS:
        return dict(_NATIONAL_LABELS[field_id])
    return dict(_translations().get(field_id, {}))


_TEXTS = {
    "required": ("Tieto puuttuu, mutta se on pakollinen.", "Uppgiften saknas men är obligatorisk.",
                 "This information is required."),
    "required-if": ("Tieto on pakollinen näillä muilla tiedoilla.",
                    "Uppgiften är obligatorisk med de övriga uppgifterna.",
                    "This information is required given the rest of the notice."),
    "forbidden": ("Tietoa ei saa antaa tässä ilmoituksessa.", "Uppgiften får inte ges i detta meddelande.",
                  "This information is not allowed in this notice."),
    "forbidden-if": ("Tietoa ei saa antaa näillä muilla tiedoilla.",
                     "Uppgiften får inte ges med de övriga uppgifterna.",
                     "This information is not allowed given the rest of the notice."),
    "once": ("Tiedon saa antaa vain kerran.", "Uppgiften får bara ges en gång.",
             "This information may be given only once."),
    "form": ("Tieto ei ole vaaditussa muodossa.", "Uppgiften har inte den form som krävs.",
             "This information does not have the required form."),
    "code": ("Arvo ei ole sallittu koodi.", "Värdet är inte en tillåten kod.",
             "The value is not one of the allowed codes."),
    "date": ("Päivämäärä on ristiriidassa ilmoituksen toisen päivämäärän kanssa.",
             "Datumet strider mot ett annat datum i meddelandet.",
             "The date conflicts with another date in the notice."),
    "report": ("Sääntö huomauttaa tästä tiedosta.", "Regeln påpekar denna uppgift.",
               "The rule reports this information."),
    "other": ("Tieto ei täytä sääntöä.", "Uppgiften uppfyller inte regeln.",
              "This information does not satisfy the rule."),
}


def requirement(test: str, is_report: bool = False) -> dict[str, str]:
    """What a rule requires, in fi/sv/en, read from the shape of its own test."""
    kind = _requirement_kind(test, is_report)
    fi, sv, en = _TEXTS[kind]
    if kind == "other":
        en = f"{en} ({test[:300]})"
    return {"fi": fi, "sv": sv, "en": en}


def _requirement_kind(test: str, is_report: bool) -> str:
    t = " ".join(test.split())
    if is_report:
        return "report"
    if re.fullmatch(r"count\((?:[^()]|\([^()]*\))*\) > 0", t):
        return "required"
    if re.fullmatch(r"count\((?:[^()]|\([^()]*\))*\) = 0", t):
        return "forbidden"
    if re.fullmatch(r"count\((?:[^()]|\([^()]*\))*\) < 2", t):
        return "once"
    if re.match(r"count\((?:[^()]|\([^()]*\))*\) > 0 or ", t):
        return "required-if"
    if re.match(r"count\((?:[^()]|\([^()]*\))*\) = 0 or ", t):
        return "forbidden-if"
    if "matches(" in t:
        return "form"
    if "xs:date" in t or "xs:dateTime" in t or "xs:time" in t:
        return "date"
    if re.search(r"= \('[^']*'(?:, ?'[^']*')+\)", t) or re.search(r"= \('[^']*'\)", t):
        return "code"
    return "other"
