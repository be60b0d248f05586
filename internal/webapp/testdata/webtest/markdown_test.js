// Unit tests of web/markdown.js, run in chromium by webmodules_test.go.
import {renderMarkdown, safeURL} from '/web/markdown.js';

// render returns a <div> holding what renderMarkdown makes of text.
function render(text, opts) {
  const d = document.createElement('div');
  d.append(...renderMarkdown(text, opts));
  return d;
}

// html is the markup of the rendered text (read back only to compare).
const html = (text, opts) => render(text, opts).innerHTML;

export function testFormatting(t) {
  t.eq(html('plain text'), 'plain text', 'plain');
  t.eq(html('**bold**'), '<strong>bold</strong>', 'bold');
  t.eq(html('__bold__'), '<strong>bold</strong>', 'bold with underscores');
  t.eq(html('*it* and _it_'), '<em>it</em> and <em>it</em>', 'italic');
  t.eq(html('***both***'), '<strong><em>both</em></strong>', 'bold italic');
  t.eq(html('~~gone~~'), '<s>gone</s>', 'strike');
  t.eq(html('**a *b* c**'), '<strong>a <em>b</em> c</strong>', 'italic inside bold');
  t.eq(html('a `x*y*z` b'), 'a <code class="md-code">x*y*z</code> b', 'inline code keeps its markers');
  t.eq(html('line one\n**two**'), 'line one\n<strong>two</strong>', 'new lines stay');
}

export function testNotEmphasis(t) {
  t.eq(html('snake_case_name'), 'snake_case_name', 'snake_case');
  t.eq(html('2 * 3 * 4'), '2 * 3 * 4', 'spaced asterisks');
  t.eq(html('**not closed'), '**not closed', 'unclosed bold');
  t.eq(html('*a **b* c**'), '<em>a **b</em> c**', 'crossed markers: the first pair wins, the rest is text');
  t.eq(html('****'), '****', 'a run of four');
  t.eq(html('`unclosed code'), '`unclosed code', 'unclosed code');
  t.eq(html('empty `` ticks'), 'empty `` ticks', 'empty code');
}

export function testCodeBlock(t) {
  const d = render('before\n```js\n<script>alert(1)</script>\n**not bold**\n```\nafter');
  const pre = d.querySelector('pre.md-pre > code');
  if (!t.check(pre, `no code block in ${d.innerHTML}`)) return;
  t.eq(pre.textContent, '<script>alert(1)</script>\n**not bold**', 'the block is verbatim text');
  t.eq(d.querySelectorAll('script, strong').length, 0, 'nothing inside the block is markup');
  t.eq(d.firstChild.textContent, 'before', 'text before the block');
  t.eq(d.lastChild.textContent, 'after', 'text after the block');
  t.eq(html('```\nnever closed\n**b**'), '```\nnever closed\n**b**', 'an unclosed fence is text (and, unpaired, its backticks leave the rest as text)');
  t.eq(render('```one line```').querySelector('pre code')?.textContent, 'one line', 'a one-line block');
}

export function testLinks(t) {
  const d = render('see https://example.com/a_b_c. or [the docs](https://example.com/docs)');
  const as = [...d.querySelectorAll('a')];
  t.eq(as.length, 2, 'two links');
  t.eq(as[0]?.getAttribute('href'), 'https://example.com/a_b_c', 'bare link without the full stop');
  t.eq(as[0]?.textContent, 'https://example.com/a_b_c', 'bare link text');
  t.eq(as[1]?.getAttribute('href'), 'https://example.com/docs', 'markup link address');
  t.eq(as[1]?.textContent, 'the docs', 'markup link text');
  t.eq(d.querySelectorAll('em').length, 0, 'underscores in an address are not emphasis');
  for (const a of as) {
    t.eq(a.rel, 'noopener noreferrer', 'links open without access to the page');
  }
  // The caller makes the anchors (the app confirms the address first).
  const seen = [];
  const c = render('[x](https://a.example/) https://b.example/', {link: (url, text) => {
    seen.push(url);
    const b = document.createElement('button');
    b.textContent = text;
    return b;
  }});
  t.eq(seen.join(' '), 'https://a.example/ https://b.example/', 'the link callback gets each address');
  t.eq(c.querySelectorAll('button').length, 2, 'the callback makes the nodes');
}

export function testHostile(t) {
  const cases = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '**<b onclick=alert(1)>x</b>**',
    '[click](javascript:alert(1))',
    '[click](JaVaScRiPt:alert(1))',
    '[click](data:text/html,<script>alert(1)</script>)',
    '[click](vbscript:msgbox)',
    'javascript:alert(1)',
    '[x](https://ok.example/"onmouseover="alert(1))',
    '[x](//evil.example/)',
    '`</code><script>alert(1)</script>`',
    '```\n</pre><script>alert(1)</script>\n```',
    '<a href="javascript:alert(1)">x</a>',
    '[**x**](https://ok.example/)',
  ];
  for (const text of cases) {
    const d = render(text);
    t.eq(d.querySelectorAll('script, img, b, i, iframe, [onclick], [onerror], [onmouseover]').length, 0, `markup from ${text}`);
    for (const a of d.querySelectorAll('a')) {
      t.check(/^https?:\/\//.test(a.getAttribute('href')) && a.href.startsWith('https://ok.example/'), `link ${a.getAttribute('href')} from ${text}`);
      t.check(!a.getAttribute('href').includes('"'), `quote in the address from ${text}`);
    }
    // Nothing is lost: what is not a paired marker or a code fence is shown.
    const shown = d.textContent.replaceAll('**', '');
    for (const word of ['alert', 'script', 'javascript', 'click', 'x'].filter((w) => text.toLowerCase().includes(w) && !text.includes('](https://ok'))) {
      t.check(shown.toLowerCase().includes(word), `${word} dropped from ${text}: ${d.textContent}`);
    }
  }
  t.eq(render('[click](javascript:alert(1))').textContent, '[click](javascript:alert(1))', 'a javascript: link stays text');
  t.eq(safeURL('javascript:alert(1)'), '', 'safeURL refuses javascript:');
  t.eq(safeURL('https://x.example/'), 'https://x.example/', 'safeURL keeps https');
  // A link callback that returns a string (not a node) does not inject it.
  t.eq(render('https://a.example/', {link: () => '<b>x</b>'}).querySelectorAll('b').length, 0, 'a string from the callback is text');
}

export function testNesting(t) {
  // Markers nested past the limit stay text; the depth stays bounded.
  const deep = '*_'.repeat(200) + 'x' + '_*'.repeat(200);
  const d = render(deep);
  let depth = 0;
  for (let n = d.querySelector('em, strong'); n; n = n.querySelector('em, strong')) depth++;
  t.check(depth <= 8, `nesting depth ${depth}`);
  t.check(d.textContent.includes('x'), 'the text inside is shown');
  // Thousands of unmatched markers: linear, and all shown as text.
  const many = ' *a _b ~~c [d'.repeat(3000) + '`';
  t.eq(render(many).textContent, many, 'unmatched markers are text');
  const stars = '**x'.repeat(10000);
  t.check(render(stars).textContent.length > 0, 'many openers');
  const brackets = '['.repeat(20000) + '](https://x.example/)';
  t.check(render(brackets).textContent.length > 0, 'many brackets');
}
