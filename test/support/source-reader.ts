import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { posix } from 'node:path'
import ts from 'typescript'

// Reads TypeScript as the compiler does, for test/unit/architecture.test.ts: ts.preProcessFile
// lists every module a file names (static, re-exported, dynamic, require), and the syntax tree
// tells which of them are erased, what runs SQL and what reads the environment. Comments,
// strings and line breaks cannot fool it as they fool a regex.

export type Import = {
  line: number
  to: string
  kind: 'file' | 'builtin' | 'package'
  typeOnly: boolean
}
export type Use = { line: number; what: string }
export type Source = { path: string; imports: Import[]; sql: Use[]; env: Use[]; computed: Use[] }

const SQL_BUILDERS = new Set([
  'selectFrom',
  'insertInto',
  'updateTable',
  'deleteFrom',
  'replaceInto',
  'mergeInto',
])
const nameOf = (node: ts.Node) =>
  ts.isIdentifier(node) || ts.isStringLiteralLike(node) ? node.text : undefined

/** Local names the file's runtime imports give kysely's `sql`, its namespace and node:process. */
function bindingsOf(file: ts.SourceFile) {
  const b = {
    sqlTags: new Set<string>(),
    kysely: new Set<string>(),
    processes: new Set(['process']),
  }
  const envImports: ts.ImportSpecifier[] = []
  for (const s of file.statements) {
    if (!ts.isImportDeclaration(s) || s.importClause?.isTypeOnly) continue
    const from = nameOf(s.moduleSpecifier)
    const bindings = s.importClause?.namedBindings
    const namespace = bindings && ts.isNamespaceImport(bindings) ? bindings.name.text : undefined
    const named = (n: string) =>
      (bindings && ts.isNamedImports(bindings) ? bindings.elements : []).filter(
        (e) => !e.isTypeOnly && (e.propertyName ?? e.name).text === n,
      )
    if (from === 'kysely') {
      if (namespace) b.kysely.add(namespace)
      for (const e of named('sql')) b.sqlTags.add(e.name.text)
    }
    if (from === 'process' || from === 'node:process') {
      for (const l of [namespace, s.importClause?.name?.text]) if (l) b.processes.add(l)
      envImports.push(...named('env'))
    }
  }
  return { ...b, envImports }
}

export function parse(path: string, code: string): Source {
  const file = ts.createSourceFile(path, code, ts.ScriptTarget.Latest, true)
  const lineOf = (pos: number) => file.getLineAndCharacterOfPosition(pos).line + 1
  const statementLine = new Map<number, number>() // specifier start → its statement's first line
  const typeOnly = new Set<number>() // specifier starts of imports that are erased
  const found: Pick<Source, 'sql' | 'env' | 'computed'> = { sql: [], env: [], computed: [] }
  const use = (kind: keyof typeof found, node: ts.Node, what: string) =>
    found[kind].push({ line: lineOf(node.getStart(file)), what })
  const specifier = (node: ts.Node, spec: ts.Node | undefined, erased: boolean) => {
    if (!spec) return
    statementLine.set(spec.getStart(file), lineOf(node.getStart(file)))
    if (erased) typeOnly.add(spec.getStart(file))
  }

  const { sqlTags, kysely, processes, envImports } = bindingsOf(file)
  for (const e of envImports) use('env', e, 'env from node:process')
  const isSql = (node: ts.Node): boolean =>
    (ts.isIdentifier(node) && sqlTags.has(node.text)) ||
    (ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      kysely.has(node.expression.text) &&
      node.name.text === 'sql')
  const isProcess = (node: ts.Node) =>
    (ts.isIdentifier(node) && processes.has(node.text)) ||
    (ts.isPropertyAccessExpression(node) && node.name.text === 'process') // globalThis.process

  const visit = (node: ts.Node): void => {
    // Only `import type` is erased: under verbatimModuleSyntax `import { type A }` still loads.
    if (ts.isImportDeclaration(node))
      specifier(node, node.moduleSpecifier, !!node.importClause?.isTypeOnly)
    if (ts.isExportDeclaration(node)) specifier(node, node.moduleSpecifier, node.isTypeOnly)
    if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      specifier(node, node.moduleReference.expression, node.isTypeOnly)
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      specifier(node, node.argument.literal, true)
    if (ts.isTaggedTemplateExpression(node) && isSql(node.tag)) use('sql', node, 'sql`…`')
    if (ts.isCallExpression(node)) {
      const callee = node.expression
      const method = ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : ts.isElementAccessExpression(callee)
          ? nameOf(callee.argumentExpression)
          : undefined
      if (method && SQL_BUILDERS.has(method)) use('sql', node, `.${method}()`)
      if (ts.isPropertyAccessExpression(callee) && isSql(callee.expression))
        use('sql', node, `sql.${method}()`)
      const dynamic = callee.kind === ts.SyntaxKind.ImportKeyword || nameOf(callee) === 'require'
      const [arg] = node.arguments
      if (dynamic && !(arg && ts.isStringLiteralLike(arg)))
        use('computed', node, `${callee.getText(file)}(…)`)
      if (dynamic) specifier(node, arg, false)
    }
    const env =
      (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) &&
      isProcess(node.expression) &&
      (ts.isPropertyAccessExpression(node) ? node.name.text : nameOf(node.argumentExpression))
    if (env === 'env') use('env', node, 'process.env')
    if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer)
      if (isProcess(node.initializer))
        for (const e of node.name.elements)
          if (nameOf(e.propertyName ?? e.name) === 'env') use('env', e, 'env from process')
    ts.forEachChild(node, visit)
  }
  visit(file)

  const imports = ts.preProcessFile(code, true, true).importedFiles.map(({ fileName, pos }) => ({
    line: statementLine.get(pos) ?? lineOf(pos),
    typeOnly: typeOnly.has(pos),
    ...resolve(path, fileName),
  }))
  return { path, imports, ...found }
}

/** A repository path (`src/http/csrf.ts`), a `node:` builtin, or a package's name. */
function resolve(from: string, spec: string): Pick<Import, 'to' | 'kind'> {
  if (spec.startsWith('.'))
    return { kind: 'file', to: posix.join(posix.dirname(from), spec).replace(/\.js$/, '.ts') }
  const bare = spec.replace(/^node:/, '')
  if (spec.startsWith('node:') || builtinModules.includes(bare.split('/')[0]!))
    return { kind: 'builtin', to: `node:${bare}` }
  return {
    kind: 'package',
    to: spec
      .split('/')
      .slice(0, spec.startsWith('@') ? 2 : 1)
      .join('/'),
  }
}

/** src/ and migrations/ below `root`, with paths relative to it. */
export function readTree(root: string): Source[] {
  return ['src', 'migrations']
    .filter((dir) => existsSync(`${root}/${dir}`))
    .flatMap((dir) =>
      readdirSync(`${root}/${dir}`, { recursive: true, encoding: 'utf8' })
        .filter((p) => p.endsWith('.ts'))
        .sort()
        .map((p) => parse(`${dir}/${p}`, readFileSync(`${root}/${dir}/${p}`, 'utf8'))),
    )
}
