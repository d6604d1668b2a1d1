// Block Kit as DOM: header, section (text, fields, accessory), context, divider, actions, image, input (through
// ctx.input, in modals). Anything else is shown as its JSON, never hidden. Text goes in through textContent only.
import { mrkdwn, safeUrl, textObject } from "./mrkdwn.js";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function unknown(thing, what) {
  const box = el("div", "unknown");
  box.appendChild(el("div", "unknown-title", `${what} this client does not draw:`));
  box.appendChild(el("pre", "", JSON.stringify(thing, null, 2)));
  return box;
}

export function renderBlocks(blocks, ctx) {
  const container = el("div", "blocks");
  for (const block of blocks || []) container.appendChild(renderBlock(block, ctx));
  return container;
}

function renderBlock(block, ctx) {
  const draw = BLOCKS[block.type];
  const node = draw ? draw(block, ctx) : unknown(block, `A ${block.type} block`);
  node.classList.add("block", `block-${block.type}`);
  if (block.block_id) node.dataset.blockId = block.block_id;
  return node;
}

const BLOCKS = {
  header: (block) => el("h3", "header", block.text?.text ?? ""),
  divider: () => el("hr"),
  section: (block, ctx) => {
    const node = el("div", "section");
    const body = el("div", "section-body");
    if (block.text) body.appendChild(textObject(block.text, ctx));
    if (block.fields) {
      const fields = el("div", "fields");
      for (const field of block.fields) fields.appendChild(el("div", "field")).appendChild(textObject(field, ctx));
      body.appendChild(fields);
    }
    node.appendChild(body);
    if (block.accessory) node.appendChild(el("div", "accessory")).appendChild(renderElement(block.accessory, block, ctx));
    return node;
  },
  context: (block, ctx) => {
    const node = el("div", "context");
    for (const item of block.elements || []) {
      if (item.type === "image") node.appendChild(image(item));
      else if (item.type === "mrkdwn" || item.type === "plain_text") node.appendChild(textObject(item, ctx));
      else node.appendChild(unknown(item, `A ${item.type} context element`));
    }
    return node;
  },
  actions: (block, ctx) => {
    const node = el("div", "actions");
    for (const element of block.elements || []) node.appendChild(renderElement(element, block, ctx));
    return node;
  },
  image: (block) => {
    const node = el("div", "image-block");
    if (block.title) node.appendChild(el("div", "image-title", block.title.text));
    node.appendChild(image(block));
    return node;
  },
  input: (block, ctx) => (ctx.input ? ctx.input(block) : unknown(block, "An input block outside a modal")),
};

// Images are not fetched (the playground stays offline): their alt text stands in.
function image(item) {
  return el("span", "image", `🖼 ${item.alt_text || "image"}`);
}

export function renderElement(element, block, ctx) {
  const draw = ELEMENTS[element.type];
  return draw ? draw(element, block, ctx) : unknown(element, `A ${element.type} element`);
}

const ELEMENTS = {
  button: (element, block, ctx) => {
    const button = el("button", `button ${element.style ? "button-" + element.style : ""}`.trim(), element.text?.text ?? "");
    button.type = "button";
    button.dataset.actionId = element.action_id;
    button.addEventListener("click", async () => {
      if (element.confirm && !(await ctx.confirm(element.confirm))) return;
      const url = element.url && safeUrl(element.url);
      if (url) window.open(url, "_blank", "noopener,noreferrer");
      ctx.act(element, block, element.value ?? null);
    });
    return button;
  },
  overflow: (element, block, ctx) => choose(element, block, ctx, "⋯"),
  static_select: (element, block, ctx) => choose(element, block, ctx, element.placeholder?.text ?? "Select"),
  users_select: (element, block, ctx) => pick(element, block, ctx, ctx.people),
  conversations_select: (element, block, ctx) => pick(element, block, ctx, ctx.channels),
  channels_select: (element, block, ctx) => pick(element, block, ctx, ctx.channels),
  image: (element) => image(element),
};

function choose(element, block, ctx, prompt) {
  const select = el("select", "select");
  select.dataset.actionId = element.action_id;
  select.appendChild(el("option", "", prompt)).value = "";
  const groups = element.option_groups || [{ options: element.options || [] }];
  for (const group of groups) {
    for (const option of group.options || []) select.appendChild(el("option", "", option.text?.text ?? "")).value = option.value;
  }
  select.addEventListener("change", async () => {
    const option = (element.options || groups.flatMap((g) => g.options)).find((o) => o.value === select.value);
    if (!option) return;
    if (element.confirm && !(await ctx.confirm(element.confirm))) return;
    ctx.act(element, block, option.value);
  });
  return select;
}

function pick(element, block, ctx, choices) {
  const select = el("select", "select");
  select.dataset.actionId = element.action_id;
  select.appendChild(el("option", "", element.placeholder?.text ?? "Select")).value = "";
  for (const choice of choices) select.appendChild(el("option", "", choice.name)).value = choice.id;
  select.addEventListener("change", () => select.value && ctx.act(element, block, select.value));
  return select;
}

export { mrkdwn, textObject };
