"""What plan and apply share about one tenant: schema, users, Company ids, CTAs, picklists."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Users:
    """GsUsers read once: e-mail and name (lower case) -> GSID, and GSID -> display name."""

    by_email: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    name_of: dict[str, str] = field(default_factory=dict)
    email_of: dict[str, str] = field(default_factory=dict)  # GSID -> e-mail
    loaded: bool = False

    def resolve(self, who: str | None, roster: dict[str, str | None]) -> str | None:
        """A CSM or assignee name -> GSID: the roster's e-mail first, else the user's name."""
        if not who:
            return None
        email = roster.get(who)
        if email and email.strip().lower() in self.by_email:
            return self.by_email[email.strip().lower()]
        text = who.strip().lower()
        return self.by_email.get(text) or self.by_name.get(text)


@dataclass
class Index:
    #: Company fields from describe: API name -> dataType
    schema: dict[str, str] = field(default_factory=dict)
    schema_loaded: bool = False
    #: neutral field name -> its definition (label, type, ...), from the model
    field_defs: dict[str, dict[str, object]] = field(default_factory=dict)
    #: neutral fields whose Company field exists with a usable type
    usable: set[str] = field(default_factory=set)
    #: neutral field -> accounts whose value waits on the field's build-sheet step
    waiting: dict[str, int] = field(default_factory=dict)
    users: Users = field(default_factory=Users)
    gsid_of: dict[str, str] = field(default_factory=dict)  # account key -> Company GSID
    key_of: dict[str, str] = field(default_factory=dict)  # Company GSID -> account key
    csm_of: dict[str, str | None] = field(default_factory=dict)  # account key -> Csm GSID
    #: accounts read with tierform's fields -> their tf_csm as read (Tf_Csm__gc)
    read_csm: dict[str, str] = field(default_factory=dict)
    playbook_id: dict[str, str] = field(default_factory=dict)  # Gainsight playbook name -> GSID
    #: the tenant refused the playbook field in a CTA list select: attachments are unverified
    playbook_unverified: bool = False
    cta_id: dict[str, str] = field(default_factory=dict)  # work item key -> open CTA GSID
    closed_cta: dict[str, str] = field(default_factory=dict)  # key -> closed CTA GSID
    picklist: dict[tuple[str, str], str] = field(default_factory=dict)  # (category, name) -> id
    #: the reason new CTAs get when ``cta.reason`` is not set (the picklist's first active one)
    default_reason: str | None = None
    desired_accounts: frozenset[str] = frozenset()
    loaded: bool = False
