// A minimal DOM for running the console's rendering modules under node --test: elements,
// text nodes and attributes, nothing that parses markup. Setting innerHTML/outerHTML or calling
// insertAdjacentHTML throws, so a rendering path that tried would fail the test.

class Node {
  constructor(nodeType) {
    this.nodeType = nodeType;
    this.childNodes = [];
    this.parentNode = null;
  }
  get firstChild() { return this.childNodes[0] ?? null; }
  get lastChild() { return this.childNodes[this.childNodes.length - 1] ?? null; }
  get children() { return this.childNodes.filter((c) => c.nodeType === 1); }
  appendChild(c) {
    if (c.parentNode) c.parentNode.removeChild(c);
    c.parentNode = this;
    this.childNodes.push(c);
    return c;
  }
  removeChild(c) {
    const i = this.childNodes.indexOf(c);
    if (i < 0) throw new Error('not a child');
    this.childNodes.splice(i, 1);
    c.parentNode = null;
    return c;
  }
  insertBefore(c, ref) {
    if (ref === null) return this.appendChild(c);
    if (c.parentNode) c.parentNode.removeChild(c);
    const i = this.childNodes.indexOf(ref);
    c.parentNode = this;
    this.childNodes.splice(i, 0, c);
    return c;
  }
  replaceChild(n, old) {
    const i = this.childNodes.indexOf(old);
    if (n.parentNode) n.parentNode.removeChild(n);
    n.parentNode = this;
    this.childNodes[i] = n;
    old.parentNode = null;
    return old;
  }
  get textContent() { return this.childNodes.map((c) => c.textContent).join(''); }
  set textContent(v) {
    this.childNodes = [];
    this.appendChild(new Text(String(v)));
  }
}

class Text extends Node {
  constructor(data) {
    super(3);
    this.data = data;
  }
  get textContent() { return this.data; }
  set textContent(v) { this.data = String(v); }
  cloneNode() { return new Text(this.data); }
}

class Element extends Node {
  constructor(tag, ns = null) {
    super(1);
    this.tagName = tag.toUpperCase();
    this.localName = tag;
    this.namespaceURI = ns;
    this.attributes = new Map();
    this.listeners = {};
    const self = this;
    this.style = {props: {}, setProperty(k, v) { this.props[k] = v; }};
    this.classList = {
      add(c) { const s = new Set((self.getAttribute('class') || '').split(' ').filter(Boolean)); s.add(c); self.setAttribute('class', [...s].join(' ')); },
      remove(c) { const s = new Set((self.getAttribute('class') || '').split(' ').filter(Boolean)); s.delete(c); self.setAttribute('class', [...s].join(' ')); },
      contains(c) { return (self.getAttribute('class') || '').split(' ').includes(c); },
      toggle(c, on) { if (on ?? !this.contains(c)) this.add(c); else this.remove(c); },
    };
  }
  setAttribute(k, v) {
    if (/^on/i.test(k)) throw new Error(`event-handler attribute ${k} set`);
    this.attributes.set(k, String(v));
  }
  getAttribute(k) { return this.attributes.has(k) ? this.attributes.get(k) : null; }
  addEventListener(ev, fn) { (this.listeners[ev] ||= []).push(fn); }
  dispatch(ev) { for (const fn of this.listeners[ev] || []) fn({preventDefault() {}}); }
  get dataset() { return Object.fromEntries([...this.attributes].filter(([k]) => k.startsWith('data-')).map(([k, v]) => [k.slice(5), v])); }
  set innerHTML(_) { throw new Error('innerHTML assigned'); }
  set outerHTML(_) { throw new Error('outerHTML assigned'); }
  insertAdjacentHTML() { throw new Error('insertAdjacentHTML called'); }
  cloneNode(deep) {
    const e = new Element(this.localName, this.namespaceURI);
    for (const [k, v] of this.attributes) e.attributes.set(k, v);
    if (deep) for (const c of this.childNodes) e.appendChild(c.cloneNode(true));
    return e;
  }
  // Every descendant element (depth first).
  *walk() {
    for (const c of this.childNodes) {
      if (c.nodeType === 1) {
        yield c;
        yield* c.walk();
      }
    }
  }
}

export function installDom() {
  globalThis.document = {
    baseURI: 'http://vigil.test/prefix/',
    createElement: (t) => new Element(t),
    createElementNS: (ns, t) => new Element(t, ns),
    createTextNode: (t) => new Text(t),
    write() { throw new Error('document.write called'); },
  };
  return globalThis.document;
}

// Wraps nodes in a root element for walking.
export function root(nodes) {
  const r = new Element('root');
  for (const n of [nodes].flat(Infinity)) if (n) r.appendChild(n);
  return r;
}
