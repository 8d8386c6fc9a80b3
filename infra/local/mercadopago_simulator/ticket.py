"""The ticket page Mercado Pago's `ticket_url` points at: the Pix QR to scan, the copy-paste
code, and the buttons a person uses to play the bank in a demo run by hand."""

import html
from typing import Any

# The copy-paste code is one long word: wrap it anywhere. The QR scales without blurring.
_STYLE = "pre { white-space: pre-wrap; word-break: break-all } img { image-rendering: pixelated }"
ACTIONS = (("approve", "Approve"), ("reject", "Reject"), ("expire", "Expire"))

# The buttons POST to the control endpoint (which sends the signed webhook) and reload the
# page, so the status shown is the simulator's, never the button's guess.
_SCRIPT = """<script>
async function act(action) {
  const answer = await fetch(location.pathname.replace(/ticket$/, action), {method: "POST"});
  if (!answer.ok) { alert(action + " failed: " + answer.status + " " + await answer.text()); }
  location.reload();
}
</script>"""


def render_ticket(payment: dict[str, Any]) -> str:
    data = payment["point_of_interaction"]["transaction_data"]
    status = html.escape(payment["status"])
    pending = payment["status"] in ("pending", "in_process")
    buttons = "".join(
        f'<button type="button" id="{action}" onclick="act(\'{action}\')"'
        f"{'' if pending else ' disabled'}>{label}</button> "
        for action, label in ACTIONS
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Pix {payment['id']}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Pix R$ {payment['transaction_amount']:.2f}</h1>"
        f"<p>status: <strong id='status'>{status}</strong></p>"
        f"<img id='qr' alt='Pix QR code' width='240' height='240' "
        f"src='data:image/png;base64,{data['qr_code_base64']}'>"
        f"<p>Pix copia e cola:</p><pre id='code'>{html.escape(data['qr_code'])}</pre>"
        f"<p>{buttons}</p>{_SCRIPT}</body></html>"
    )
