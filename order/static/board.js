// Status board: display numbers in "Em preparação" (paid or being made) and "Pronto".
// The stream sends a snapshot, then each status change; each response ends soon after it
// has news (docs/tracking.md) and EventSource reconnects by itself with Last-Event-ID, so
// the server replays what the board missed.
"use strict";

const COLUMN = { PAID: "preparing", IN_PREPARATION: "preparing", READY: "ready" };
const orders = new Map(); // display number -> status, in the order they reached it
const fresh = new Set(); // just became ready: flash them

function apply(number, status) {
  if (COLUMN[status] === undefined) {
    orders.delete(number); // delivered or cancelled: off the board
    return;
  }
  if (status === "READY" && orders.get(number) !== "READY") {
    orders.delete(number); // re-insert: the ready column lists the latest first
    fresh.add(number);
    setTimeout(() => fresh.delete(number), 4000);
  }
  orders.set(number, status);
}

function render() {
  const lists = {
    preparing: document.querySelector("#preparing ol"),
    ready: document.querySelector("#ready ol"),
  };
  const items = { preparing: [], ready: [] };
  for (const [number, status] of orders) {
    const li = document.createElement("li");
    li.textContent = number;
    li.dataset.number = number;
    li.dataset.status = status;
    if (fresh.has(number)) li.className = "new";
    items[COLUMN[status]].push(li);
  }
  items.ready.reverse();
  lists.preparing.replaceChildren(...items.preparing);
  lists.ready.replaceChildren(...items.ready);
}

function connect() {
  const connection = document.getElementById("connection");
  const source = new EventSource("/order/board/events");
  let offline = null;
  source.onopen = () => {
    clearTimeout(offline);
    connection.classList.add("online");
  };
  source.onerror = () => {
    // Every response ends soon after its news (API Gateway buffers until the end) and
    // EventSource reconnects within a second: offline only if it stays away longer.
    clearTimeout(offline);
    offline = setTimeout(() => connection.classList.remove("online"), 3000);
    // EventSource retries a dropped stream itself, but gives up on an HTTP error: retry here.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
  };
  source.addEventListener("snapshot", (event) => {
    orders.clear();
    for (const order of JSON.parse(event.data).orders) apply(order.display_number, order.status);
    fresh.clear();
    render();
  });
  source.addEventListener("status", (event) => {
    const change = JSON.parse(event.data);
    apply(change.display_number, change.status);
    render();
  });
}

connect();
