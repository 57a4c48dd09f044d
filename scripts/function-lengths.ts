import fs from 'node:fs'
import ts from 'typescript'

/**
 * The longest functions of the files named (lines from the first to the last, comments inside
 * included), longest first: `npx tsx scripts/function-lengths.ts [--top N] <files…>`.
 */

interface FunctionLength {
  lines: number
  where: string
}

function nameOf(node: ts.Node): string {
  const named = (node as { name?: ts.Node }).name
  if (named) return named.getText()
  const parent = node.parent
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText()
  if (ts.isCallExpression(parent)) {
    const first = parent.arguments[0]
    const label = first && ts.isStringLiteral(first) ? ` ${first.text}` : ''
    return `${parent.expression.getText()}(…${label})`
  }
  return '(anonymous)'
}

function functionLengths(file: string): FunctionLength[] {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, kind)
  const found: FunctionLength[] = []
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = lineOf(node.getStart())
      found.push({ lines: lineOf(node.getEnd()) - first + 1, where: `${file}:${first} ${nameOf(node)}` })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const args = process.argv.slice(2)
const topAt = args.indexOf('--top')
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 5
const all = args.flatMap(functionLengths).sort((a, b) => b.lines - a.lines)
for (const { lines, where } of all.slice(0, top)) console.log(`${lines}\t${where}`)
