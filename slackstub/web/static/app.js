// The page: who you are, your DM with the app (Home and Messages tabs), channels, modals. It draws the state
// the server sends (GET /client/api/state) and redraws whenever the server says something changed (SSE).
// Every action is a POST the server turns into what Slack would send the app.
import { el, mrkdwn, renderBlocks } from "./blocks.js";
import { renderModal } from "./modal.js";

const page = { user: null, conversation: null, tab: "messages", state: null, modalKey: "", seen: {}, openThreads: new Set(), drafts: {} };
const $ = (id) => document.getElementById(id);

// --- talking to the server -------------------------------------------------------------------------------

let queue = Promise.resolve();
function post(name, body) {
  // one action at a time, in order: a text typed before a select changed reaches the app first
  const sent = queue.then(async () => {
    let response;
    try {
      response = await fetch(`/client/api/${name}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: page.user, ...body }),
      });
    } catch {
      toast("The playground is not reachable: is it still running?", true);
      return { ok: false };
    }
    const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
    if (!answer.ok) toast(answer.error, true);
    return answer;
  });
  queue = sent.catch(() => undefined);
  return sent;
}

let loading = false;
let again = false;
async function load() {
  if (loading) { again = true; return; }
  loading = true;
  try {
    do {
      again = false;
      const asked = page.user;
      const state = await fetchState(asked);
      if (state === null) return; // the server is away: the event stream loads again when it is back
      if (asked !== page.user) { again = true; continue; } // switched person meanwhile: that one's state
      if (!state.me) {
        const wanted = [personInAddress(), localStorage.getItem("person"), state.default_user];
        const known = new Set(state.people.map((p) => p.id));
        const pick = wanted.find((id) => id && known.has(id)) || state.people[0]?.id;
        if (pick && pick !== page.user) { actAs(pick); again = true; continue; }
      }
      page.state = state;
      render();
    } while (again);
  } finally {
    loading = false;
  }
}

async function fetchState(user) {
  try {
    const response = await fetch(`/client/api/state?user=${encodeURIComponent(user || "")}`);
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

function personInAddress() {
  try {
    return decodeURIComponent(location.hash.slice(1));
  } catch {
    return ""; // a mangled address (#%) picks someone as a new tab does
  }
}

// Who this tab acts as, kept in its address (#U…): another tab acting as someone else must not change it,
// even on reload (localStorage, shared by every tab, only picks the person for a new tab).
function actAs(user) {
  page.user = user;
  history.replaceState(null, "", `#${encodeURIComponent(user)}`);
}

// Live changes. EventSource retries a dropped stream by itself, but gives up for good when the server cannot
// be reached at all (a restart longer than its retry): then a new one is opened, backing off up to 5 s.
let retry = 250;
function listen() {
  const events = new EventSource("/client/api/events");
  events.addEventListener("open", () => { retry = 250; $("connection").hidden = true; });
  events.addEventListener("change", () => load());
  events.addEventListener("error", () => {
    $("connection").hidden = false;
    if (events.readyState !== EventSource.CLOSED) return;
    setTimeout(listen, retry);
    retry = Math.min(retry * 2, 5000);
  });
}

// --- drawing ------------------------------------------------------------------------------------------------

function ctx() {
  const state = page.state;
  return {
    names: state.names,
    channelNames: state.channel_names,
    people: state.people,
    channels: state.conversations.filter((c) => c.kind === "channel"),
    confirm,
  };
}

function render() {
  const state = page.state;
  if (!state.conversations.some((c) => c.id === page.conversation)) page.conversation = state.conversations[0]?.id ?? null;
  drawPeople(state);
  drawConversations(state);
  drawMain(state);
  drawModal(state);
  drawProblems(state.notices);
  if (state.notices.news && state.notices.news !== page.lastNews) toast(state.notices.news);
  page.lastNews = state.notices.news;
}

function drawPeople(state) {
  const select = $("person");
  select.replaceChildren(...state.people.map((person) => {
    const option = el("option", "", person.name);
    option.value = person.id;
    return option;
  }));
  select.value = page.user;
}

function countOf(conversation) {
  return conversation.messages.length + conversation.ephemerals.length;
}

function drawConversations(state) {
  const seen = (page.seen[page.user] ||= {});
  const draw = (conversation) => {
    if (conversation.id === page.conversation) seen[conversation.id] = countOf(conversation);
    const unread = countOf(conversation) - (seen[conversation.id] ?? 0);
    const button = el("button", unread > 0 ? "unread" : "");
    button.type = "button";
    button.appendChild(el("span", "", conversation.kind === "app" ? conversation.name : `# ${conversation.name}`));
    if (unread > 0) button.appendChild(el("span", "badge", String(unread)));
    button.setAttribute("aria-current", String(conversation.id === page.conversation));
    button.addEventListener("click", () => openConversation(conversation.id));
    const item = el("li");
    item.appendChild(button);
    return item;
  };
  $("apps").replaceChildren(...state.conversations.filter((c) => c.kind === "app").map(draw));
  $("channels").replaceChildren(...state.conversations.filter((c) => c.kind === "channel").map(draw));
}

function current() {
  return page.state.conversations.find((c) => c.id === page.conversation);
}

function drawMain(state) {
  const conversation = current();
  const tabs = $("tabs");
  tabs.replaceChildren();
  $("message").placeholder = conversation ? `Message ${conversation.kind === "app" ? conversation.name : "#" + conversation.name} (try /selfserve)` : "";
  if (!conversation) {
    $("title").textContent = "";
    $("pane").replaceChildren(el("p", "empty", "Nobody to act as yet."));
    return;
  }
  $("title").textContent = conversation.kind === "app" ? conversation.name : `# ${conversation.name}`;
  if (conversation.kind === "app") {
    for (const [tab, label] of [["home", "Home"], ["messages", "Messages"]]) {
      const button = tabs.appendChild(el("button", "", label));
      button.type = "button";
      button.setAttribute("role", "tab");
      button.setAttribute("aria-selected", String(page.tab === tab));
      button.addEventListener("click", () => openTab(tab));
    }
  }
  const home = conversation.kind === "app" && page.tab === "home";
  $("composer").hidden = home;
  const pane = $("pane");
  const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
  pane.replaceChildren(home ? drawHome(state) : drawMessages(state, conversation));
  if (atBottom || page.scrolledFor !== conversation.id + page.tab) pane.scrollTop = pane.scrollHeight;
  page.scrolledFor = conversation.id + page.tab;
}

function drawHome(state) {
  if (!state.home) return el("p", "empty", "Opening Home…");
  const home = state.home;
  return renderBlocks(home.blocks, { ...ctx(), act: (element, block, value) => click({ id: home.id }, element, value) });
}

function drawMessages(state, conversation) {
  const list = el("div", "messages");
  if (conversation.kind === "app" && state.notices.intro) list.appendChild(el("div", "intro")).appendChild(mrkdwn(state.notices.intro, ctx()));
  const all = [
    ...conversation.messages.map((m) => ({ ...m, ephemeral: false })),
    ...conversation.ephemerals.map((m) => ({ ...m, ephemeral: true })),
  ].sort((a, b) => Number(a.ts) - Number(b.ts));
  const replies = new Map();
  for (const message of all) {
    if (message.thread_ts && message.thread_ts !== message.ts) {
      if (!replies.has(message.thread_ts)) replies.set(message.thread_ts, []);
      replies.get(message.thread_ts).push(message);
    }
  }
  const top = all.filter((m) => !m.thread_ts || m.thread_ts === m.ts || !all.some((p) => p.ts === m.thread_ts));
  if (!top.length) list.appendChild(el("p", "empty", "No messages yet."));
  for (const message of top) {
    const node = list.appendChild(drawMessage(state, message));
    if (message.ephemeral) continue;
    node.querySelector(".message-body").appendChild(drawThread(state, conversation.id, message.ts, replies.get(message.ts) || []));
  }
  return list;
}

// A message's thread: "n replies" opens it (a message without any offers "Reply in thread"), and an open
// thread has its own box; what is typed there survives the page's redraws (kept per thread in page.drafts).
function drawThread(state, channel, ts, thread) {
  const box = el("div", "thread");
  const open = page.openThreads.has(ts);
  const label = open ? "Hide replies" : thread.length ? `${thread.length} ${thread.length === 1 ? "reply" : "replies"}` : "Reply in thread";
  const toggle = box.appendChild(el("button", "thread-toggle", label));
  toggle.type = "button";
  toggle.addEventListener("click", () => {
    if (open) page.openThreads.delete(ts); else page.openThreads.add(ts);
    render();
  });
  if (!open) return box;
  for (const reply of thread) box.appendChild(drawMessage(state, reply));
  const form = box.appendChild(el("form", "thread-reply"));
  const input = form.appendChild(el("input"));
  input.setAttribute("aria-label", "Reply in thread");
  input.placeholder = "Reply…";
  input.value = page.drafts[ts] || "";
  input.addEventListener("input", () => { page.drafts[ts] = input.value; });
  const send = form.appendChild(el("button", "button", "Reply"));
  send.type = "submit";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const answer = await post("message", { channel, text, thread_ts: ts });
    if (answer.ok) { delete page.drafts[ts]; input.value = ""; }
  });
  if (page.replyFocus === ts) requestAnimationFrame(() => { input.focus(); input.setSelectionRange(input.value.length, input.value.length); });
  input.addEventListener("focus", () => { page.replyFocus = ts; });
  input.addEventListener("blur", () => { if (page.replyFocus === ts) page.replyFocus = null; });
  return box;
}

function drawMessage(state, message) {
  const fromBot = message.user === state.bot.id || Boolean(message.bot_id);
  const name = fromBot ? state.bot.name : state.names[message.user] || message.user;
  const node = el("article", `message${message.ephemeral ? " ephemeral" : ""}`);
  node.dataset.ts = message.ts;
  node.appendChild(el("div", `avatar${fromBot ? "" : " person"}`, (name || "?").slice(0, 1).toUpperCase()));
  const body = node.appendChild(el("div", "message-body"));
  const meta = body.appendChild(el("div", "meta"));
  meta.appendChild(el("span", "author", name));
  if (fromBot) meta.appendChild(el("span", "app-badge", "APP"));
  meta.appendChild(el("time", "", new Date(Number(message.ts) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
  if (message.edited) meta.appendChild(el("span", "", " (edited)"));
  if (message.ephemeral) body.appendChild(el("div", "only-you", "Only visible to you"));
  const surface = { channel: message.channel, ts: message.ts };
  if (message.blocks?.length) {
    body.appendChild(renderBlocks(message.blocks, { ...ctx(), act: (element, block, value) => click(surface, element, value) }));
  } else {
    body.appendChild(el("div", "section-body")).appendChild(mrkdwn(message.text, ctx()));
  }
  return node;
}

function drawModal(state) {
  const root = $("modal-root");
  const stack = state.modals;
  const top = stack[stack.length - 1];
  const key = top ? `${top.id}:${top.hash}:${JSON.stringify(top.errors)}:${stack.length}:${page.user}` : "";
  if (key === page.modalKey) return; // unchanged: keep what is being typed, and the focus
  page.modalKey = key;
  if (!top) { root.replaceChildren(); return; }
  const backdrop = el("div", "modal-backdrop");
  backdrop.appendChild(renderModal(top, stack.length, {
    ...ctx(),
    act: (element, block, value) => click({ id: top.id }, element, value),
    fill: (viewId, blockId, value, enter) => post("fill", { view_id: viewId, block_id: blockId, value, enter }),
    submit: (viewId, values) => post("submit", { view_id: viewId, values }),
    close: (viewId) => post("close", { view_id: viewId }),
    suggest: async (viewId, actionId, query) => (await post("suggest", { view_id: viewId, action_id: actionId, query })).options || [],
  }));
  root.replaceChildren(backdrop);
  backdrop.querySelector("input, select, textarea")?.focus();
}

function drawProblems(notices) {
  const root = $("problems-root");
  if (!notices.problems.length) { root.replaceChildren(); return; }
  const overlay = el("div", "overlay");
  const box = overlay.appendChild(el("section", "problems"));
  box.setAttribute("role", "alertdialog");
  box.setAttribute("aria-label", notices.problems_title);
  box.appendChild(el("h2", "", notices.problems_title));
  const list = box.appendChild(el("ul"));
  for (const line of notices.problems) list.appendChild(el("li", "", line));
  box.appendChild(el("p", "", "Fix the file and save it: this page reloads it by itself."));
  root.replaceChildren(overlay);
}

function toast(text, error = false) {
  const note = $("toasts").appendChild(el("div", `toast${error ? " error" : ""}`, text));
  setTimeout(() => note.remove(), error ? 9000 : 5000);
}

function confirm(dialog) {
  return new Promise((resolve) => {
    const overlay = el("div", "overlay");
    const box = overlay.appendChild(el("div", "confirm"));
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-label", dialog.title?.text ?? "Are you sure?");
    box.appendChild(el("h2", "", dialog.title?.text ?? "Are you sure?"));
    box.appendChild(el("div", "")).appendChild(dialog.text?.type === "mrkdwn" ? mrkdwn(dialog.text.text, ctx()) : el("span", "", dialog.text?.text ?? ""));
    const foot = box.appendChild(el("div", "modal-foot"));
    const answer = (yes) => { overlay.remove(); resolve(yes); };
    const deny = foot.appendChild(el("button", "button", dialog.deny?.text ?? "Cancel"));
    deny.type = "button";
    deny.addEventListener("click", () => answer(false));
    const ok = foot.appendChild(el("button", `button button-${dialog.style || "primary"}`, dialog.confirm?.text ?? "Yes"));
    ok.type = "button";
    ok.addEventListener("click", () => answer(true));
    document.body.appendChild(overlay);
  });
}

// --- actions ------------------------------------------------------------------------------------------------

function click(surface, element, value) {
  return post("click", { surface, action_id: element.action_id, value });
}

function openConversation(id) {
  page.conversation = id;
  render();
  if (current()?.kind === "app" && page.tab === "home") post("home", {});
}

function openTab(tab) {
  page.tab = tab;
  render();
  if (tab === "home") post("home", {});
}

$("person").addEventListener("change", () => {
  actAs($("person").value);
  localStorage.setItem("person", page.user);
  page.modalKey = "";
  load().then(() => { if (current()?.kind === "app" && page.tab === "home") post("home", {}); });
});

// The composer's shortcuts menu: the app's global shortcuts (Slack sends them with a trigger, no channel).
$("shortcuts-button").addEventListener("click", () => {
  const menu = $("shortcuts-menu");
  const open = menu.hidden;
  menu.replaceChildren(...Object.entries(page.state?.shortcuts || {}).map(([callbackId, name]) => {
    const item = el("button", "", name);
    item.type = "button";
    item.setAttribute("role", "menuitem");
    item.addEventListener("click", () => {
      menu.hidden = true;
      $("shortcuts-button").setAttribute("aria-expanded", "false");
      post("shortcut", { callback_id: callbackId });
    });
    return item;
  }));
  menu.hidden = !open;
  $("shortcuts-button").setAttribute("aria-expanded", String(open));
});

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("message");
  const text = input.value.trim();
  if (!text || !page.conversation) return;
  const answer = await post("message", { channel: page.conversation, text });
  if (answer.ok) input.value = "";
});

listen();
load();
