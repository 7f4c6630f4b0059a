"""Each network's own limits (NET-<network>), measured by the publishing adapter
that will publish the text: X's weighted length, Bluesky's graphemes… The
limits live in ``pregonero.publishing.adapters`` and nowhere else."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from pregonero.checks.findings import Finding

from .base import Context
from .base import cached_gettext as _

if TYPE_CHECKING:
    from pregonero.publishing.adapters.base import Adapter

# Kinds without limits of their own: a manual or practice channel imitates
# another network (pass that network instead), and the website has none.
_NO_ADAPTER = frozenset({"website", "manual", "sandbox"})


@cache
def _adapter(network: str) -> Adapter | None:
    """The network's adapter, for its ``validate`` only: no credentials, and an
    HTTP client that is never used (validation makes no call)."""
    from pregonero.publishing.adapters.base import ChannelCredentials
    from pregonero.publishing.adapters.registry import get_adapter_class, has_adapter

    if network in _NO_ADAPTER or not has_adapter(network):
        return None
    cls = get_adapter_class(network)
    return cls(ChannelCredentials(channel_id=0, imitates=network), http=object())


def network_limits(ctx: Context) -> Iterator[Finding]:
    from pregonero.publishing.adapters.base import OutboundPost

    text = ctx.doc.text
    if not text.strip():
        return
    post = OutboundPost(text=text, idempotency_key="revision-de-texto")
    end = len(text.rstrip())
    for network in dict.fromkeys(ctx.networks):
        rule = f"NET-{network}"
        if not ctx.settings.enabled(rule):
            continue
        adapter = _adapter(network)
        if adapter is None:
            continue
        seen: set[str] = set()
        for issue in adapter.validate(post):
            if issue.field != "text" or issue.message in seen:
                continue
            seen.add(issue.message)
            yield Finding(
                rule,
                "error" if issue.severity == "error" else "warning",
                0,
                end,
                issue.message,
                _("Acorte o ajuste el texto para %(network)s.")
                % {"network": adapter.label or network},
                source=_("Reglas de publicación de %(network)s")
                % {"network": adapter.label or network},
            )
