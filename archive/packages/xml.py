"""XML of TT 05/2025 packages with lxml: ``simpledc`` records, METS, PREMIS, and their schemas.

Parsing is safe for hostile input: no entity expansion, no DTD, no network, no huge trees.
Schemas come from ``schemas/``: ``METS.xsd`` (METS 1.12), ``xlink.xsd`` and
``DILCISExtensionMETS.xsd`` as shipped by the ``eark-validator`` package (E-ARK CSIP v2.0.4;
METS is CC0, eark-validator Apache-2.0), and the corrected ``EAD.xsd``/``EAD_doc.xsd`` of the
shared TT 05 sample (tt05-packages.md §7.7). No PREMIS 3 schema was found in the registries this
project reaches: PREMIS is checked by the structural rules (namespace, required elements, digests).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

SCHEMAS = Path(__file__).parent / "schemas"
METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
PREMIS_NS = "http://www.loc.gov/premis/v3"
NSMAP = {None: METS_NS, "xlink": XLINK_NS, "xsi": XSI_NS, "csip": CSIP_NS}
NS = {"m": METS_NS, "xlink": XLINK_NS, "csip": CSIP_NS, "premis": PREMIS_NS}
SCHEMA_FILES = ("METS.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd", "EAD.xsd", "EAD_doc.xsd")
"""What every exported package carries in ``schemas/`` (tt05-packages.md §2)."""

DOSSIER_FIELDS = ("arcFileCode", "title", "maintenance", "mode", "language", "startDate", "endDate", "keyword",
                  "totalDoc", "numberOfPaper", "numberOfPage", "format", "inforSign", "confidenceLevel",
                  "paperFileCode", "riskRecovery", "riskRecoveryStatus", "description")
DOC_FIELDS = ("docId", "arcDocCode", "maintenance", "typeName", "codeNumber", "codeNotation", "issuedDate",
              "organName", "subject", "language", "numberOfPage", "inforSign", "keyword", "mode",
              "confidenceLevel", "autograph", "format", "process", "riskRecovery", "riskRecoveryStatus",
              "description")
SIP_DOSSIER_FIELDS = ("fileCode", *DOSSIER_FIELDS[1:])
"""SIP_hoso (PL III): the mã hồ sơ without the archive's code; the template keeps numberOfPaper."""
SIP_DOC_FIELDS = tuple("docCode" if f == "arcDocCode" else f for f in DOC_FIELDS)
DOSSIER_REQUIRED = ("arcFileCode", "title", "maintenance", "mode", "language", "startDate", "endDate", "totalDoc",
                    "numberOfPage", "confidenceLevel", "riskRecovery")
DOC_REQUIRED = ("docId", "arcDocCode", "maintenance", "typeName", "issuedDate", "organName", "subject", "language",
                "numberOfPage", "mode", "riskRecovery")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False)


class XMLError(ValueError):
    pass


def parse(data: bytes) -> etree._Element:
    """Parse untrusted XML: a DOCTYPE (the road to entity bombs and external entities) is refused."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise XMLError(f"malformed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise XMLError("a DOCTYPE is not allowed in package XML")
    return root


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _LocalResolver(etree.Resolver):
    """METS.xsd imports xlink from loc.gov: serve the bundled copy, never the network."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> Any:
        name = (url or "").rsplit("/", 1)[-1]
        if name.lower() == "xlink.xsd":
            return self.resolve_filename(str(SCHEMAS / "xlink.xsd"), context)
        return None


@functools.cache
def schema(name: str) -> etree.XMLSchema:
    """``mets`` (METS 1.12 + xlink + the DILCIS CSIP extension), ``EAD`` or ``EAD_doc``."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalResolver())
    if name == "mets":
        # A driver importing the three standard schemas, so csip:* attributes (lax in METS) are checked.
        driver = (f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
                  f'<xs:import namespace="{METS_NS}" schemaLocation="{(SCHEMAS / "METS.xsd").as_uri()}"/>'
                  f'<xs:import namespace="{CSIP_NS}" schemaLocation="{(SCHEMAS / "DILCISExtensionMETS.xsd").as_uri()}"/>'
                  f'</xs:schema>')
        return etree.XMLSchema(etree.fromstring(driver.encode(), parser, base_url=(SCHEMAS / "driver.xsd").as_uri()))
    return etree.XMLSchema(etree.parse(str(SCHEMAS / f"{name}.xsd"), parser))


def validate(name: str, root: etree._Element) -> list[str]:
    """The schema's complaints about ``root`` (empty: valid)."""
    xsd = schema(name)
    if xsd.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


# simpledc --------------------------------------------------------------------------------------------

def simpledc(fields: tuple[str, ...], values: Mapping[str, str | None]) -> bytes:
    """A ``<simpledc>`` record: no namespace, every element in template order, empty when no value."""
    root = etree.Element("simpledc")
    for name in fields:
        el = etree.SubElement(root, name)
        value = values.get(name)
        if value not in (None, ""):
            el.text = str(value)
    return serialise(root)


def read_simpledc(data: bytes) -> dict[str, str]:
    """Element name → text of a ``simpledc`` record, in any order (tt05-packages.md §7.7: unknown
    elements are kept as extras; ``docCode`` + ``docOrdinal`` of the printed schema are read too)."""
    root = parse(data)
    if etree.QName(root).localname != "simpledc" or etree.QName(root).namespace:
        raise XMLError("the root element is not a no-namespace <simpledc>")
    return {etree.QName(el).localname: (el.text or "").strip() for el in root if isinstance(el.tag, str)}


# METS helpers -------------------------------------------------------------------------------------

def q(tag: str, ns: str = METS_NS) -> str:
    return f"{{{ns}}}{tag}"


def xl(name: str) -> str:
    return f"{{{XLINK_NS}}}{name}"


def cs(name: str) -> str:
    return f"{{{CSIP_NS}}}{name}"


def pm(tag: str) -> str:
    return f"{{{PREMIS_NS}}}{tag}"
