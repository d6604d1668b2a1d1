// Slack's mrkdwn as DOM nodes: *bold*, _italic_, ~strike~, `code`, ```pre```, <links|text>, <@U…> and <#C…>
// mentions (shown as names), <!here>. Every piece of text becomes a text node (textContent): nothing the bot
// or a person typed is ever parsed as HTML. Slack escapes &, < and > as &amp; &lt; &gt;; they are shown as typed.

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };
const unescape = (text) => text.replace(/&(amp|lt|gt);/g, (entity) => ENTITIES[entity]);
const MARK = "\uE000";
const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", no_entry_sign: "🚫", no_entry: "⛔",
  hourglass_flowing_sand: "⏳", hourglass: "⌛", arrow_right_hook: "↪️", arrow_right: "➡️", tada: "🎉", wave: "👋",
  eyes: "👀", "+1": "👍", thumbsup: "👍", "-1": "👎", lock: "🔒", key: "🔑", computer: "💻", rocket: "🚀",
  information_source: "ℹ️", bell: "🔔", memo: "📝", calendar: "📅", inbox_tray: "📥", bust_in_silhouette: "👤",
};
const emoji = (text) => text.replace(/:([a-z0-9_+-]+):/g, (shortcode, name) => EMOJI[name] ?? shortcode); // stands for an <…> token while styles are parsed, so a URL's _ or * cannot style text

const STYLES = [
  { mark: "*", tag: "b" },
  { mark: "_", tag: "i" },
  { mark: "~", tag: "s" },
];

function styleRegex(mark) {
  const m = "\\" + mark;
  // the mark must open after a non-word character and close before one, around text not starting or ending in space
  return new RegExp(`(^|[^\\w${m}])${m}([^\\s${m}](?:[^${m}\\n]*[^\\s${m}])?)${m}(?=$|[^\\w${m}])`);
}
const STYLE_REGEXES = STYLES.map((style) => ({ ...style, regex: styleRegex(style.mark) }));

function angleToken(inner, ctx) {
  const [target, escapedLabel] = splitOnce(inner, "|");
  const label = unescape(escapedLabel); // a label is escaped text like any other: shown as typed
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return mention("@" + (ctx.names[id] || label || id), "user");
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    return mention("#" + (ctx.channelNames[id] || label || id.toLowerCase()), "channel");
  }
  if (target.startsWith("!subteam^")) return mention(label || "@group", "group");
  if (target.startsWith("!date^")) return document.createTextNode(label || unescape(target));
  if (target.startsWith("!")) return mention("@" + (label || target.slice(1)), "broadcast");
  const href = safeUrl(unescape(target));
  if (href === null) return document.createTextNode(label || unescape(target)); // javascript:, data:…: text
  const link = document.createElement("a");
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  link.textContent = label || unescape(target);
  return link;
}

// Only web and mail links may be followed: a javascript: or data: URL in a message (or a button) would run
// on this page, as whoever is acting. The URL is parsed as the browser will, so no spelling slips past.
const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:"]);
export function safeUrl(url) {
  try {
    const parsed = new URL(String(url ?? ""));
    return SAFE_SCHEMES.has(parsed.protocol) ? parsed.href : null;
  } catch {
    return null; // not absolute: Slack only links absolute URLs
  }
}

function splitOnce(text, separator) {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

function mention(text, kind) {
  const span = document.createElement("span");
  span.className = `mention mention-${kind}`;
  span.textContent = text;
  return span;
}

// Text with MARK placeholders back into nodes: the tokens, and the text between them unescaped.
function leaves(text, tokens, parent, literal = false) {
  const parts = text.split(new RegExp(`${MARK}(\\d+)${MARK}`));
  parts.forEach((part, index) => {
    if (index % 2 === 1) parent.appendChild(tokens[Number(part)]);
    else if (part) parent.appendChild(document.createTextNode(unescape(literal ? part : emoji(part))));
  });
}

function styled(text, tokens, parent) {
  let best = null;
  for (const style of STYLE_REGEXES) {
    const found = style.regex.exec(text);
    if (found && (best === null || found.index < best.found.index)) best = { style, found };
  }
  if (best === null) {
    leaves(text, tokens, parent);
    return;
  }
  const { style, found } = best;
  const start = found.index + found[1].length;
  leaves(text.slice(0, start), tokens, parent);
  const node = document.createElement(style.tag);
  styled(found[2], tokens, node);
  parent.appendChild(node);
  styled(text.slice(start + found[2].length + 2), tokens, parent);
}

function inline(text, tokens, parent) {
  const pieces = text.split(/`([^`\n]+)`/);
  pieces.forEach((piece, index) => {
    if (index % 2 === 1) {
      const code = document.createElement("code");
      leaves(piece, tokens, code, true);
      parent.appendChild(code);
    } else if (piece) {
      styled(piece, tokens, parent);
    }
  });
}

// Lines starting with ">" are a quote (the text Slack escapes as &gt; is not one: it was typed).
function lines(text, tokens, parent) {
  let quote = null;
  text.split("\n").forEach((line, index, all) => {
    const last = index === all.length - 1;
    if (line.startsWith(">")) {
      quote ||= parent.appendChild(document.createElement("blockquote"));
      if (quote.childNodes.length) quote.appendChild(document.createTextNode("\n"));
      inline(line.slice(1), tokens, quote);
      return;
    }
    quote = null;
    inline(line, tokens, parent);
    if (!last && !all[index + 1].startsWith(">")) parent.appendChild(document.createTextNode("\n"));
  });
}

export function mrkdwn(text, ctx) {
  const out = document.createElement("span");
  out.className = "mrkdwn";
  const tokens = [];
  const marked = String(text ?? "").replace(/<([^<>\n]+)>/g, (_, inner) => {
    tokens.push(angleToken(inner, ctx));
    return `${MARK}${tokens.length - 1}${MARK}`;
  });
  const blocks = marked.split(/```([\s\S]*?)```/);
  blocks.forEach((piece, index) => {
    if (index % 2 === 1) {
      const pre = document.createElement("pre");
      leaves(piece.replace(/^\n/, ""), tokens, pre, true);
      out.appendChild(pre);
    } else if (piece) {
      lines(piece, tokens, out);
    }
  });
  return out;
}

// A text object ({type: plain_text | mrkdwn, text}) as a node; plain_text is shown exactly as written.
export function textObject(object, ctx) {
  if (!object) return document.createTextNode("");
  if (object.type === "mrkdwn") return mrkdwn(object.text, ctx);
  const span = document.createElement("span");
  span.textContent = object.text ?? "";
  return span;
}
