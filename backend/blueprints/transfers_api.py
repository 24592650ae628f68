"""Partner API: the local status of a Wise transfer, kept up to date by Wise's webhooks."""

from __future__ import annotations

from flask import Blueprint, Response

from backend import extensions
from backend.api import json_response, require_api_key
from backend.errors import NotFound
from backend.models import TransferStatusPublic
from backend.openapi import contract
from backend.services import transfers

bp = Blueprint("transfers_api", __name__, url_prefix="/api/v1/wise-transfers")
bp.before_request(require_api_key)


@bp.get("/<int:transfer_id>")
@contract(tag="Wise transfers", replies={200: TransferStatusPublic}, errors=(NotFound,))
def read_transfer(transfer_id: int) -> Response:
    """Return the newest known state of a transfer."""
    row = transfers.get_transfer(ctx=extensions.context(), transfer_id=transfer_id)
    return json_response(TransferStatusPublic.of(row))
