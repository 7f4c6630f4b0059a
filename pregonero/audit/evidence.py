"""The evidence package of a piece: one ZIP with every record of its life.

Need and attachments, the acta excerpt, every text version, the reviews with
their checklists, the design files, the publication records with their attempts,
and the audit extract with its hashes — plus a manifest with the SHA-256 of each
file, so the package can be checked years later.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .actions import target_type_of
from .models import AuditEvent
from .registry import label_for


class _Package:
    def __init__(self) -> None:
        self.buffer = tempfile.SpooledTemporaryFile(max_size=20 * 1024 * 1024)  # noqa: SIM115
        self.zip = zipfile.ZipFile(self.buffer, "w", zipfile.ZIP_DEFLATED)
        self.manifest: list[dict[str, Any]] = []

    def add_bytes(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data)
        self.manifest.append(
            {
                "archivo": name,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )

    def add_json(self, name: str, payload: Any) -> None:
        text = json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        self.add_bytes(name, text.encode())

    def add_file(self, name: str, fieldfile: Any) -> None:
        digest = hashlib.sha256()
        size = 0
        with (
            fieldfile.open("rb") as source,
            self.zip.open(name, "w", force_zip64=True) as target,
        ):
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        self.manifest.append(
            {"archivo": name, "bytes": size, "sha256": digest.hexdigest()}
        )

    def close(self) -> bytes:
        self.zip.close()
        self.buffer.seek(0)
        return self.buffer.read()


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:120]


def build_package(user: Any, piece: Any) -> bytes:
    """The ZIP for ``piece`` (the caller checked the user may export it)."""
    from pregonero.content.models import CHECKLISTS, Piece
    from pregonero.planning.models import ActaVersion, AgendaItem, PlanItem
    from pregonero.publishing.models import Publication

    piece = Piece.objects.select_related(
        "need__dependency",
        "writer",
        "designer",
        "dependency",
        "approved_text_version",
        "approved_asset_set",
        "sealed_by",
        "created_by",
    ).get(pk=piece.pk)
    pkg = _Package()
    related: list[Any] = [piece]

    pkg.add_json(
        "pieza.json",
        {
            "numero": piece.number,
            "titulo": piece.title,
            "formato": piece.get_format_display(),
            "estado": piece.get_state_display(),
            "dependencia": str(piece.dependency or ""),
            "redactor": str(piece.writer or ""),
            "disenador": str(piece.designer or ""),
            "creada_por": str(piece.created_by),
            "creada": piece.created_at,
            "fecha_deseada": piece.desired_date,
            "fecha_planeada": piece.planned_date,
            "visto_bueno": {
                "sello_sha256": piece.seal_hash,
                "fecha": piece.sealed_at,
                "dado_por": str(piece.sealed_by or ""),
                "version_texto": piece.approved_text_version.number
                if piece.approved_text_version
                else None,
                "version_diseno": piece.approved_asset_set.number
                if piece.approved_asset_set
                else None,
            },
            "cancelacion": piece.cancel_reason,
        },
    )

    need = piece.need
    if need is not None:
        related.append(need)
        pkg.add_json(
            "necesidad/necesidad.json",
            {
                "numero": need.number,
                "asunto": need.title,
                "descripcion": need.description,
                "origen": need.get_source_display(),
                "dependencia": str(need.dependency),
                "solicitante": need.requester_display,
                "urgencia": need.get_urgency_display(),
                "fecha_deseada": need.desired_date,
                "fecha_evento": need.event_date,
                "estado": need.get_state_display(),
                "clasificacion": need.triage_note,
                "clasificada": need.triaged_at,
                "correo": {
                    "de": need.email_from,
                    "asunto": need.email_subject,
                    "message_id": need.email_message_id,
                    "fecha": need.email_date,
                },
            },
        )
        for attachment in need.attachments.all():
            pkg.add_file(
                f"necesidad/adjuntos/{attachment.pk}-{_safe(attachment.original_name)}",
                attachment.file,
            )
        agenda_items = AgendaItem.objects.filter(need=need).select_related("meeting")
        for item in agenda_items:
            meeting = item.meeting
            related.append(meeting)
            acta = (
                ActaVersion.objects.filter(meeting=meeting).order_by("-number").first()
            )
            if acta is None:
                continue
            excerpt = [
                a
                for a in acta.snapshot.get("agenda", [])
                if a.get("need_number") == need.number
            ]
            base = f"acta/{_safe(meeting.number)}-v{acta.number}"
            pkg.add_json(
                f"{base}-extracto.json",
                {
                    "acta": meeting.number,
                    "version": acta.number,
                    "formato": acta.snapshot.get("format"),
                    "fecha_reunion": acta.snapshot.get("meeting", {}).get("starts_at"),
                    "asistentes": acta.snapshot.get("attendees"),
                    "temas": excerpt,
                    "huella_contenido": acta.content_hash,
                    "pdf_sha256": acta.pdf_sha256,
                },
            )
            pkg.add_file(f"{base}.pdf", acta.pdf)

    plan_item = (
        PlanItem.objects.filter(piece=piece)
        .select_related("dependency", "liaison")
        .first()
    )
    if plan_item is not None:
        related.append(plan_item)
        pkg.add_json(
            "plan.json",
            {
                "contenido": plan_item.title,
                "fecha_planeada": plan_item.planned_date,
                "dependencia": str(plan_item.dependency),
                "enlace": str(plan_item.liaison or ""),
                "comentarios": [
                    {
                        "autor": str(c.author),
                        "comentario": c.body,
                        "fecha": c.created_at,
                    }
                    for c in plan_item.comments.select_related("author")
                ],
            },
        )

    for version in piece.text_versions.select_related("author").prefetch_related(
        "variants__channel", "sources"
    ):
        pkg.add_bytes(f"versiones/v{version.number}.txt", version.body.encode())
        pkg.add_json(
            f"versiones/v{version.number}.json",
            {
                "version": version.number,
                "autor": str(version.author),
                "fecha": version.created_at,
                "nota": version.note,
                "huella": version.content_hash,
                "texto": version.body,
                "variantes": [
                    {"canal": v.channel.name, "titulo": v.title, "texto": v.body}
                    for v in version.variants.all()
                ],
                "fuentes": [
                    {"descripcion": s.description, "enlace": s.url}
                    for s in version.sources.all()
                ],
            },
        )

    labels = {cp: {k: str(v) for k, v in items} for cp, items in CHECKLISTS.items()}
    pkg.add_json(
        "revisiones.json",
        [
            {
                "punto_de_control": r.control_point,
                "decision": r.get_decision_display(),
                "revisor": str(r.reviewer),
                "como_encargado_de": str(r.delegation.delegator)
                if r.delegation_id
                else None,
                "fecha": r.created_at,
                "version_texto": r.text_version.number,
                "version_diseno": r.asset_set.number if r.asset_set_id else None,
                "lista_de_chequeo": {
                    labels[r.control_point].get(k, k): v for k, v in r.checklist.items()
                },
                "observaciones": r.comment,
                "sello": r.seal_hash,
            }
            for r in piece.reviews.select_related(
                "reviewer", "text_version", "asset_set", "delegation__delegator"
            ).order_by("created_at")
        ],
    )

    design: list[dict[str, Any]] = []
    for asset_set in piece.asset_sets.prefetch_related("assets").order_by("number"):
        files = []
        for asset in asset_set.assets.all():
            name = f"diseno/v{asset_set.number}/{asset.pk}-{_safe(asset.original_name)}"
            pkg.add_file(name, asset.file)
            files.append(
                {
                    "archivo": name,
                    "sha256": asset.sha256,
                    "texto_alternativo": asset.alt_text,
                    "decorativa": asset.decorative,
                    "subtitulos": asset.get_captions_mode_display(),
                }
            )
            if asset.captions_file:
                pkg.add_file(f"{name}.subtitulos", asset.captions_file)
        design.append(
            {
                "version": asset_set.number,
                "enviada": asset_set.submitted_at,
                "archivos": files,
            }
        )
    pkg.add_json("diseno.json", design)

    publications = list(
        Publication.objects.filter(piece=piece)
        .select_related("channel", "recorded_by")
        .prefetch_related("attempts")
        .order_by("pk")
    )
    related.extend(publications)
    pkg.add_json(
        "publicaciones.json",
        [
            {
                "canal": p.channel.name,
                "red": p.channel.network_label,
                "estado": p.get_status_display(),
                "programada": p.scheduled_at,
                "publicada": p.published_at,
                "enlace": p.permalink,
                "id_en_la_red": p.platform_id,
                "sello": p.seal_hash,
                "texto": p.text,
                "registrada_a_mano_por": str(p.recorded_by or ""),
                "observaciones": p.manual_note,
                "fe_de_erratas_de": p.erratum_of_id,
                "retirada": p.withdrawn_at,
                "motivo_del_retiro": p.withdraw_reason,
                "intentos": [
                    {
                        "operacion": a.kind,
                        "proceso": a.worker,
                        "inicio": a.started_at,
                        "fin": a.finished_at,
                        "duracion_ms": a.duration_ms,
                        "resultado": a.outcome,
                        "solicitud": a.summary,
                        "error": a.error,
                    }
                    for a in p.attempts.all()
                ],
            }
            for p in publications
        ],
    )

    condition = Q()
    for obj in related:
        condition |= Q(target_type=target_type_of(obj), target_id=str(obj.pk))
    events = AuditEvent.objects.filter(
        condition, organization_id=piece.organization_id
    ).order_by("seq")
    lines = []
    for event in events:
        payload = event.hash_payload()
        payload["hash"] = event.hash
        payload["accion_legible"] = label_for(event.action)
        lines.append(json.dumps(payload, ensure_ascii=False, sort_keys=True))
    pkg.add_bytes("auditoria.jsonl", ("\n".join(lines) + "\n").encode())

    readme = _(
        "Paquete de evidencia de la pieza %(number)s — %(title)s\n"
        "Generado el %(when)s por %(user)s con Pregonero.\n\n"
        "Contenido:\n"
        "  pieza.json           datos de la pieza y su visto bueno (sello SHA-256)\n"
        "  necesidad/           la necesidad de comunicación y sus adjuntos\n"
        "  acta/                el extracto del acta de reunión (formato %(code)s) y su PDF\n"
        "  plan.json            el ítem del plan de contenidos y los comentarios de los enlaces\n"
        "  versiones/           cada versión del texto, inmutable, con su huella\n"
        "  revisiones.json      las decisiones de los puntos de control con su lista de chequeo\n"
        "  diseno/              los archivos de diseño de cada versión, con texto alternativo\n"
        "  publicaciones.json   las publicaciones por canal y cada intento\n"
        "  auditoria.jsonl      los eventos de auditoría relacionados, con su hash y el anterior\n"
        "  manifiesto.json      la huella SHA-256 de cada archivo de este paquete\n\n"
        "Cada evento de auditoría incluye el hash del evento anterior de la cadena de la entidad;\n"
        "la cadena completa se verifica con «pregonero audit verify».\n"
    ) % {
        "number": piece.number,
        "title": piece.title,
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "user": user,
        "code": piece.organization.acta_format_code,
    }
    pkg.add_bytes("LEEME.txt", readme.encode())
    pkg.add_json(
        "manifiesto.json",
        {
            "pieza": piece.number,
            "generado": timezone.now(),
            "generado_por": str(user),
            "sello_visto_bueno": piece.seal_hash,
            "archivos": list(pkg.manifest),
        },
    )
    return pkg.close()
