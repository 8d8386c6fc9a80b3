// Kitchen screen: staff log in, see the active tickets in arrival order (live, over SSE)
// and move each one along. The token stays in this tab (sessionStorage) only.
"use strict";

const TOKEN_KEY = "kitchen.token";
const STATUS_LABEL = { RECEIVED: "Recebido", IN_PREPARATION: "Em preparação", READY: "Pronto" };
const NEXT = {
  RECEIVED: { action: "started", label: "Iniciar" },
  IN_PREPARATION: { action: "completed", label: "Concluir" },
  READY: { action: "delivered", label: "Entregar" },
};
const $ = (id) => document.getElementById(id);
let source = null;

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function showLogin(message) {
  if (source) source.close();
  source = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $("board").hidden = $("logout").hidden = $("connection").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("username").focus();
}

async function login(event) {
  event.preventDefault();
  const response = await fetch("/auth/staff/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("username").value, password: $("password").value }),
  });
  if (!response.ok) {
    $("login-error").textContent = response.status === 401
      ? "Usuário ou senha inválidos." : `Erro ao entrar (${response.status}).`;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, (await response.json()).access_token);
  $("password").value = "";
  showBoard();
}

function showBoard() {
  $("login").hidden = true;
  $("board").hidden = $("logout").hidden = $("connection").hidden = false;
  connect();
}

function connect() {
  if (source) source.close();
  const connection = $("connection");
  source = new EventSource("/production/events?access_token=" + encodeURIComponent(token()));
  let offline = null;
  source.onopen = () => {
    clearTimeout(offline);
    connection.classList.add("online");
    connection.textContent = "Ao vivo";
  };
  source.onerror = async () => {
    // Each response ends soon after its news (API Gateway buffers until the end) and
    // EventSource reconnects within a second: "Reconectando" only if it stays away longer.
    clearTimeout(offline);
    offline = setTimeout(() => {
      connection.classList.remove("online");
      connection.textContent = "Reconectando…";
    }, 3000);
    if (source.readyState !== EventSource.CLOSED) return; // EventSource retries by itself
    clearTimeout(offline);
    connection.classList.remove("online");
    connection.textContent = "Reconectando…";
    // Refused (e.g. 401): an expired session means logging in again; anything else, retry.
    const check = await fetch("/production", { headers: { Authorization: `Bearer ${token()}` } });
    if (check.status === 401 || check.status === 403) showLogin("Sessão expirada: entre de novo.");
    else setTimeout(connect, 3000);
  };
  source.addEventListener("tickets", (event) => render(JSON.parse(event.data)));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text; // never innerHTML: notes are typed by customers
  return node;
}

function ticketCard(ticket) {
  const card = element("li", "ticket");
  card.dataset.status = ticket.status;
  card.dataset.number = ticket.display_number || "";
  card.dataset.productionId = ticket.production_id;
  card.append(element("div", "number", ticket.display_number || ticket.order_id.slice(0, 8)));
  const received = new Date(ticket.received_at);
  const meta = `${STATUS_LABEL[ticket.status] || ticket.status} · ${received.toLocaleTimeString(
    "pt-BR", { hour: "2-digit", minute: "2-digit" })}` + (ticket.customer_name ? ` · ${ticket.customer_name}` : "");
  card.append(element("div", "meta status", meta));
  const items = element("ul", "items");
  for (const item of ticket.items) {
    const line = element("li", null, `${item.quantity}× ${item.name}`);
    if (item.notes) line.append(element("div", "notes", item.notes));
    items.append(line);
  }
  card.append(items);
  const next = NEXT[ticket.status];
  if (next) {
    const button = element("button", "advance", next.label);
    button.dataset.action = next.action;
    button.addEventListener("click", () => advance(ticket, next.action, button));
    card.append(button);
  }
  return card;
}

function render(tickets) {
  $("tickets").replaceChildren(...tickets.map(ticketCard));
  $("empty").hidden = tickets.length > 0;
}

async function advance(ticket, action, button) {
  button.disabled = true;
  $("board-error").textContent = "";
  const response = await fetch(`/production/${ticket.production_id}/${action}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${token()}` },
  });
  if (response.status === 401) return showLogin("Sessão expirada: entre de novo.");
  if (!response.ok) {
    const number = ticket.display_number || ticket.order_id.slice(0, 8);
    $("board-error").textContent = response.status === 409
      ? `Pedido ${number}: já foi atualizado por outra pessoa.`
      : `Pedido ${number}: erro ${response.status}, tente de novo.`;
    button.disabled = false;
  }
  // On success the stream brings the new list within a moment.
}

$("login").addEventListener("submit", login);
$("logout").addEventListener("click", () => showLogin());
if (token()) showBoard(); else showLogin();
