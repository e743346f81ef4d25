// Builds DOM from data without ever parsing markup: every string child becomes a text node
// (createTextNode), attributes go through an allow-list, and event handlers are functions added
// with addEventListener. Audit events are attacker-controlled; nothing here can turn a value into
// HTML or script. (The console never uses innerHTML, outerHTML, insertAdjacentHTML, document.write,
// eval or Function; web/test/static.test.mjs checks that.)

const SVG_NS = 'http://www.w3.org/2000/svg';

const ALLOWED_ATTRS = new Set([
  'class', 'id', 'title', 'type', 'value', 'name', 'for', 'colspan', 'rowspan', 'placeholder',
  'role', 'disabled', 'checked', 'selected', 'min', 'max', 'step', 'rows', 'cols', 'open',
  'tabindex', 'href', 'target', 'rel', 'multiple', 'size', 'autocomplete', 'spellcheck',
  // SVG
  'viewBox', 'x', 'y', 'width', 'height', 'fill', 'stroke', 'stroke-width', 'd', 'cx', 'cy', 'r',
  'x1', 'x2', 'y1', 'y2', 'text-anchor', 'dominant-baseline', 'font-size', 'transform',
  'preserveAspectRatio', 'opacity',
]);

// Only links that stay on this console (#...) or go to http(s) pages are kept.
export function safeHref(url) {
  const s = String(url ?? '');
  if (s.startsWith('#')) return s;
  if (/^https?:\/\//i.test(s)) return s;
  return null;
}

function setAttr(el, name, value) {
  if (value === undefined || value === null || value === false) return;
  if (name.startsWith('aria-') || name.startsWith('data-')) {
    el.setAttribute(name, String(value));
    return;
  }
  if (!ALLOWED_ATTRS.has(name)) throw new Error(`dom: attribute ${name} is not allowed`);
  if (name === 'href') {
    const href = safeHref(value);
    if (href === null) return;
    el.setAttribute('href', href);
    return;
  }
  el.setAttribute(name, value === true ? '' : String(value));
}

function append(el, child) {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(el, c);
    return;
  }
  if (typeof child === 'object' && typeof child.nodeType === 'number') {
    el.appendChild(child);
    return;
  }
  el.appendChild(document.createTextNode(String(child)));
}

function build(el, attrs, children) {
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'on') {
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      } else if (k === 'text') {
        el.textContent = String(v ?? '');
      } else if (k === 'style') {
        for (const [p, val] of Object.entries(v)) el.style.setProperty(p, String(val));
      } else {
        setAttr(el, k, v);
      }
    }
  }
  append(el, children);
  return el;
}

// h('a', {href: '#/x', class: 'c'}, 'text', otherNode, [more])
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// The same in the SVG namespace.
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}
