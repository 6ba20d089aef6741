"""Is a signing certificate a person's or an organisation's? (requirements-vn.md §8.6 item 8)

Decree 30 needs two signatures on an outgoing document: the competent person's (a personal
certificate) and the agency's (an organisation certificate, applied by the Văn thư). Certificates
do not say so in one standard place, so the evidence is weighed in this order:

1. ETSI certificate policies (EN 319 411-2): QCP-n / QCP-n-qscd → person, QCP-l / QCP-l-qseal
   → organisation;
2. the subject's UID prefixes used by Vietnamese CAs: ``CMND:``/``CCCD:``/``HC:`` (identity card,
   passport) → person; ``MST:``/``MNS:``/``MQHNS:`` (tax, budget codes) → organisation;
3. personal name attributes (givenName, surname, pseudonym) → person;
4. a common name equal to the organisation name → organisation; otherwise → person.
"""

from __future__ import annotations

from asn1crypto import x509

PERSON_POLICIES = {"0.4.0.194112.1.0", "0.4.0.194112.1.2"}
ORG_POLICIES = {"0.4.0.194112.1.1", "0.4.0.194112.1.3"}
PERSON_UID = ("CMND:", "CCCD:", "HC:", "CMT:", "PASSPORT:")
ORG_UID = ("MST:", "MNS:", "MQHNS:", "MDV:")


def _attr(name: x509.Name, key: str) -> list[str]:
    out = []
    for rdn in name.chosen:
        for atv in rdn:
            if atv["type"].native == key:
                value = atv["value"].native
                out.append(value if isinstance(value, str) else str(value))
    return out


def subject_fields(cert: x509.Certificate) -> tuple[str | None, str | None]:
    """(common name, organisation) of the certificate's subject."""
    subject = cert.subject
    cn = _attr(subject, "common_name")
    org = _attr(subject, "organization_name")
    return (cn[0] if cn else subject.human_friendly), (org[0] if org else None)


def signer_type(cert: x509.Certificate) -> str:
    try:
        policies = {p["policy_identifier"].dotted for p in (cert.certificate_policies_value or [])}
    except Exception:  # noqa: BLE001 - a malformed extension must not stop the classification
        policies = set()
    if policies & ORG_POLICIES:
        return "organisation"
    if policies & PERSON_POLICIES:
        return "person"
    subject = cert.subject
    uids = [u.upper().replace(" ", "") for u in _attr(subject, "user_id")]
    if any(u.startswith(ORG_UID) for u in uids):
        return "organisation"
    if any(u.startswith(PERSON_UID) for u in uids):
        return "person"
    if _attr(subject, "given_name") or _attr(subject, "surname") or _attr(subject, "pseudonym"):
        return "person"
    cn, org = subject_fields(cert)
    if org and cn and " ".join(cn.split()).casefold() == " ".join(org.split()).casefold():
        return "organisation"
    return "person"
