// A modal as Slack's client draws it: every input element the bot uses, with label, hint, placeholder, the value
// entered so far (the stand-in's view state: initial values until changed, kept across views.update) and the
// inline error the bot's last answer put under it. Changes are sent as the person makes them (ctx.fill), so
// the bot hears dispatched actions; Submit sends every value (ctx.submit).
import { el, renderBlocks, textObject, unknown } from "./blocks.js";

export function renderModal(view, stackDepth, ctx) {
  const readers = new Map();
  const dialog = el("div", "modal");
  dialog.setAttribute("role", "dialog");
  dialog.setAttribute("aria-modal", "true");
  dialog.setAttribute("aria-label", view.title?.text ?? "");
  dialog.dataset.viewId = view.id;
  const head = dialog.appendChild(el("div", "modal-head"));
  if (stackDepth > 1) head.appendChild(el("span", "modal-back", "‹"));
  head.appendChild(el("h2", "modal-title", view.title?.text ?? ""));
  const body = dialog.appendChild(el("div", "modal-body"));
  const inputCtx = { ...ctx, input: (block) => renderInput(view, block, ctx, readers) };
  body.appendChild(renderBlocks(view.blocks, inputCtx));
  const foot = dialog.appendChild(el("div", "modal-foot"));
  const close = foot.appendChild(el("button", "button", view.close?.text ?? (stackDepth > 1 ? "Back" : "Cancel")));
  close.type = "button";
  close.addEventListener("click", () => ctx.close(view.id));
  if (view.submit) {
    const submit = foot.appendChild(el("button", "button button-primary", view.submit.text));
    submit.type = "button";
    submit.addEventListener("click", () => {
      const values = {};
      for (const [blockId, read] of readers) values[blockId] = read();
      if (!markMissing(body, view, values)) ctx.submit(view.id, values);
    });
  }
  return dialog;
}

// Slack's client does not send a form with a required input left empty: it says so under the input.
const REQUIRED = "Please complete this required field.";

function markMissing(body, view, values) {
  let missing = false;
  for (const block of view.blocks || []) {
    if (block.type !== "input" || block.optional || !(block.block_id in values)) continue;
    const value = values[block.block_id];
    const empty = value === null || value === "" || (Array.isArray(value) && !value.length);
    const box = body.querySelector(`[data-block-id="${CSS.escape(block.block_id)}"]`);
    box?.querySelector(".input-error.required")?.remove();
    if (!empty || !box) continue;
    missing = true;
    box.classList.add("has-error");
    const error = box.appendChild(el("div", "input-error required", REQUIRED));
    error.setAttribute("role", "alert");
  }
  return missing;
}

function renderInput(view, block, ctx, readers) {
  const element = block.element || {};
  const draw = INPUTS[element.type];
  const entry = view.entered?.[block.block_id]?.[element.action_id] ?? {};
  const id = `in-${view.id}-${block.block_id}`;
  const box = el("div", "input-block");
  const grouped = GROUPED.has(element.type);
  const label = box.appendChild(el(grouped ? "div" : "label", "input-label", block.label?.text ?? ""));
  if (grouped) label.id = `${id}-label`;
  else label.htmlFor = id;
  if (block.optional) label.appendChild(el("span", "optional", " (optional)"));
  if (!draw) {
    box.appendChild(unknown(element, `A ${element.type} input`));
    return box;
  }
  const send = (value, enter = false) => ctx.fill(view.id, block.block_id, value, enter);
  const control = draw({ element, block, entry, id, send, ctx, view });
  box.appendChild(control.node);
  readers.set(block.block_id, control.read);
  if (block.hint) box.appendChild(el("div", "hint")).appendChild(textObject(block.hint, ctx));
  const error = view.errors?.[block.block_id];
  if (error) {
    box.classList.add("has-error");
    box.appendChild(el("div", "input-error", error)).setAttribute("role", "alert");
  }
  return box;
}

const GROUPED = new Set(["checkboxes", "radio_buttons", "datetimepicker", "external_select", "multi_external_select"]);

const placeholder = (element) => element.placeholder?.text ?? "";
const optionsOf = (element) => element.options || (element.option_groups || []).flatMap((group) => group.options || []);

function textInput({ element, block, entry, id, send }, kind) {
  const multiline = element.multiline === true;
  const input = el(multiline ? "textarea" : "input", "text-input");
  if (!multiline) {
    input.type = "text";
    input.inputMode = kind;
  }
  input.id = id;
  input.placeholder = placeholder(element);
  if (element.max_length) input.maxLength = element.max_length;
  input.value = entry.value ?? "";
  const read = () => (input.value === "" ? null : input.value);
  input.addEventListener("change", () => send(read()));
  if (!multiline) {
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      if (block.dispatch_action) send(read(), true);
    });
  }
  return { node: input, read };
}

function plainSelect({ element, id, send }, choices, chosen, multiple) {
  const select = el("select", "select");
  select.id = id;
  select.multiple = multiple;
  if (!multiple) select.appendChild(el("option", "", placeholder(element) || "Choose…")).value = "";
  for (const choice of choices) {
    const option = select.appendChild(el("option", "", choice.label));
    option.value = choice.value;
    option.selected = chosen.includes(choice.value);
  }
  const read = () => (multiple ? [...select.selectedOptions].map((o) => o.value) : select.value || null);
  select.addEventListener("change", () => send(read()));
  return { node: select, read };
}

function optionChoices(element) {
  return optionsOf(element).map((option) => ({ value: option.value, label: option.text?.text ?? option.value }));
}

function optionGroup(args, multiple) {
  const { element, entry, id, send } = args;
  const chosen = (entry.selected_options || (entry.selected_option ? [entry.selected_option] : [])).map((o) => o.value);
  const group = el("div", "option-group");
  group.setAttribute("role", multiple ? "group" : "radiogroup");
  group.setAttribute("aria-labelledby", `${id}-label`);
  const inputs = [];
  optionsOf(element).forEach((option, index) => {
    const row = group.appendChild(el("label", "option-row"));
    const input = row.appendChild(el("input"));
    input.type = multiple ? "checkbox" : "radio";
    input.name = id;
    input.value = option.value;
    input.id = `${id}-${index}`;
    input.checked = chosen.includes(option.value);
    row.appendChild(textObject(option.text, args.ctx));
    if (option.description) row.appendChild(el("span", "option-description")).appendChild(textObject(option.description, args.ctx));
    inputs.push(input);
    input.addEventListener("change", () => send(read()));
  });
  const read = () => {
    const checked = inputs.filter((input) => input.checked).map((input) => input.value);
    return multiple ? checked : checked[0] ?? null;
  };
  return { node: group, read };
}

function external(args, multiple) {
  const { element, entry, id, send, ctx, view } = args;
  let chosen = entry.selected_options || (entry.selected_option ? [entry.selected_option] : []);
  const box = el("div", "external-select");
  const picked = box.appendChild(el("div", "picked"));
  const search = box.appendChild(el("input", "text-input"));
  search.type = "search";
  search.id = id;
  search.placeholder = placeholder(element) || "Type to search";
  search.setAttribute("aria-labelledby", `${id}-label`);
  const list = box.appendChild(el("div", "suggestions"));
  list.setAttribute("role", "listbox");
  const minimum = element.min_query_length ?? 3;
  const drawPicked = () => {
    picked.replaceChildren(...chosen.map((option) => el("span", "chip", option.text?.text ?? option.value)));
  };
  const read = () => (multiple ? chosen.map((o) => o.value) : chosen[0]?.value ?? null);
  let asked = 0;
  search.addEventListener("input", async () => {
    const query = search.value;
    const mine = ++asked;
    if (query.length < minimum) {
      list.replaceChildren(el("div", "suggestion-note", `Type at least ${minimum} characters`));
      return;
    }
    const options = await ctx.suggest(view.id, element.action_id, query);
    if (mine !== asked) return; // a newer query is on its way
    list.replaceChildren(...options.map((option) => {
      const button = el("button", "suggestion", option.text?.text ?? option.value);
      button.type = "button";
      button.setAttribute("role", "option");
      button.addEventListener("click", () => {
        chosen = multiple ? [...chosen.filter((o) => o.value !== option.value), option] : [option];
        drawPicked();
        list.replaceChildren();
        search.value = "";
        send(read());
      });
      return button;
    }));
    if (!options.length) list.replaceChildren(el("div", "suggestion-note", "No matches"));
  });
  drawPicked();
  return { node: box, read };
}

function picker(args, type, key) {
  const { element, entry, id, send } = args;
  const input = el("input", "text-input");
  input.type = type;
  input.id = id;
  input.value = entry[key] ?? "";
  const read = () => input.value || null;
  input.addEventListener("change", () => send(read()));
  return { node: input, read };
}

function dateTime({ entry, id, send }) {
  const box = el("div", "datetime");
  const date = box.appendChild(el("input", "text-input"));
  date.type = "date";
  date.id = id;
  date.setAttribute("aria-labelledby", `${id}-label`);
  const time = box.appendChild(el("input", "text-input"));
  time.type = "time";
  time.setAttribute("aria-label", "time");
  const initial = entry.selected_date_time;
  if (initial) {
    const when = new Date(initial * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    date.value = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}`;
    time.value = `${pad(when.getHours())}:${pad(when.getMinutes())}`;
  }
  const read = () => (date.value && time.value ? Math.floor(new Date(`${date.value}T${time.value}`).getTime() / 1000) : null);
  for (const input of [date, time]) input.addEventListener("change", () => read() !== null && send(read()));
  return { node: box, read };
}

const INPUTS = {
  plain_text_input: (args) => textInput(args, "text"),
  email_text_input: (args) => textInput(args, "email"),
  url_text_input: (args) => textInput(args, "url"),
  number_input: (args) => textInput(args, "decimal"),
  datepicker: (args) => picker(args, "date", "selected_date"),
  timepicker: (args) => picker(args, "time", "selected_time"),
  datetimepicker: dateTime,
  static_select: (args) => plainSelect(args, optionChoices(args.element), [args.entry.selected_option?.value], false),
  multi_static_select: (args) => plainSelect(args, optionChoices(args.element),
    (args.entry.selected_options || []).map((o) => o.value), true),
  external_select: (args) => external(args, false),
  multi_external_select: (args) => external(args, true),
  users_select: (args) => plainSelect(args, people(args.ctx), [args.entry.selected_user], false),
  multi_users_select: (args) => plainSelect(args, people(args.ctx), args.entry.selected_users || [], true),
  conversations_select: (args) => plainSelect(args, channels(args.ctx), [args.entry.selected_conversation], false),
  channels_select: (args) => plainSelect(args, channels(args.ctx), [args.entry.selected_channel], false),
  multi_conversations_select: (args) => plainSelect(args, channels(args.ctx), args.entry.selected_conversations || [], true),
  multi_channels_select: (args) => plainSelect(args, channels(args.ctx), args.entry.selected_channels || [], true),
  checkboxes: (args) => optionGroup(args, true),
  radio_buttons: (args) => optionGroup(args, false),
};

const people = (ctx) => ctx.people.map((person) => ({ value: person.id, label: person.name }));
const channels = (ctx) => ctx.channels.map((channel) => ({ value: channel.id, label: `#${channel.name}` }));
