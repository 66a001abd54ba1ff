import { describe, expect, it } from 'vitest'
import { escapeHtml, Html, html } from '../../src/lib/html.js'

describe('html', () => {
  it('escapes & < > " and \' in interpolations', () => {
    const text = `Tom & Jerry <b>"quoted"</b> it's`
    expect(html`<p title="${text}">${text}</p>`.value).toBe(
      '<p title="Tom &amp; Jerry &lt;b&gt;&quot;quoted&quot;&lt;/b&gt; it&#39;s">' +
        'Tom &amp; Jerry &lt;b&gt;&quot;quoted&quot;&lt;/b&gt; it&#39;s</p>',
    )
  })

  it('leaves the literal template text alone', () => {
    expect(html`<a href="/x?a=1&b=2">'ok'</a>`.value).toBe(`<a href="/x?a=1&b=2">'ok'</a>`)
  })

  it('escapes an ampersand once, even if it already looks like an entity', () => {
    expect(html`${'&amp;'}`.value).toBe('&amp;amp;')
  })

  it('joins arrays and escapes their items', () => {
    expect(html`<ul>${['<a>', 'b&c']}</ul>`.value).toBe('<ul>&lt;a&gt;b&amp;c</ul>')
  })

  it('escapes nested arrays', () => {
    expect(html`${['<', ['>', ['&']]]}`.value).toBe('&lt;&gt;&amp;')
  })

  it('does not escape nested html values again', () => {
    const item = (name: string) => html`<li>${name}</li>`
    const page = html`<ul>${['<x>', 'y'].map(item)}</ul>${html`<b>${'&'}</b>`}`
    expect(page.value).toBe('<ul><li>&lt;x&gt;</li><li>y</li></ul><b>&amp;</b>')
  })

  it('renders null, undefined and false as nothing', () => {
    expect(html`[${null}${undefined}${false}]`.value).toBe('[]')
    expect(html`[${[null, 'a', undefined, false]}]`.value).toBe('[a]')
  })

  it('renders numbers, zero included', () => {
    expect(html`${0}/${42}`.value).toBe('0/42')
  })

  it('renders a template without interpolations unchanged', () => {
    expect(html`<p>plain</p>`.value).toBe('<p>plain</p>')
  })

  it('returns an Html whose string form is its value', () => {
    const page = html`<p>${'<'}</p>`
    expect(page).toBeInstanceOf(Html)
    expect(String(page)).toBe('<p>&lt;</p>')
    expect(`${page}`).toBe(page.value)
  })
})

describe('escapeHtml', () => {
  it('escapes the five special characters and nothing else', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;')
    const plain = 'plain text, é, `backtick`, /slash/'
    expect(escapeHtml(plain)).toBe(plain)
  })
})
