/**
 * Rewrites for valid ONNX models that onnxruntime refuses to load, so that Berth can still serve
 * them. Applied only after onnxruntime has refused the original model; a model it loads is never
 * touched.
 *
 * - Opset 6 and older: onnxruntime only implements the broadcasting operators (Add, Mul, Gemm, …)
 *   from opset 7, when ONNX replaced the `broadcast`/`axis` attributes with numpy broadcasting. The
 *   model is restamped to opset 7 and each changed operator rewritten to its opset-7 form (the
 *   same conversion as onnx.version_converter for these operators).
 * - `ai.onnx.preview.training` Gradient: onnxruntime's inference build has no kernel for it. For
 *   graphs of element-wise arithmetic the gradient is expanded into ordinary operators by
 *   reverse-mode differentiation.
 */
import {
  OnnxAttributeType,
  OnnxElementType,
  decodeOnnxModel,
  encodeOnnxModel,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensorProto,
  type OnnxValueInfo,
} from '../core/onnx-proto.js';

/** A rewritten model and what was changed, for the load log. */
export interface CompatibleModel {
  readonly bytes: Uint8Array;
  readonly changes: readonly string[];
}

const TRAINING_DOMAIN = 'ai.onnx.preview.training';

/** Binary operators whose legacy `broadcast`/`axis` attributes became numpy broadcasting in opset 7. */
const LEGACY_BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'And', 'Or', 'Xor', 'Equal', 'Greater', 'Less', 'PRelu']);
/** Attributes removed in opset 6 or 7, per operator ('*' for every operator). */
const REMOVED_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  '*': ['consumed_inputs'],
  Gemm: ['broadcast'],
  BatchNormalization: ['is_test'],
  Dropout: ['is_test'],
  GRU: ['output_sequence'],
  LSTM: ['output_sequence'],
  RNN: ['output_sequence'],
};

/**
 * Returns a rewritten model that onnxruntime can load, or undefined when no rewrite applies.
 * Throws when a rewrite applies but cannot be done safely, with the reason.
 */
export function makeCompatible(bytes: Uint8Array): CompatibleModel | undefined {
  const model = decodeOnnxModel(bytes);
  const changes: string[] = [];
  const opset = model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (opset && Number(opset.version) < 7) {
    upgradeToOpset7(model, changes);
    changes.push(`restamped from opset ${opset.version} to 7`);
    opset.version = 7;
  }
  if (model.graph.node.some((n) => n.domain === TRAINING_DOMAIN && n.opType === 'Gradient')) {
    expandGradients(model, changes);
    model.opsetImport = model.opsetImport.filter((o) => o.domain !== TRAINING_DOMAIN);
  }
  if (changes.length === 0) return undefined;
  return { bytes: encodeOnnxModel(model), changes };
}

function attributeInt(node: OnnxNode, name: string): number | undefined {
  const attr = node.attribute?.find((a) => a.name === name);
  return attr?.i === undefined ? undefined : Number(attr.i);
}

/** Ranks known from the graph's declared inputs, initializers and Constant nodes. */
function knownRanks(model: OnnxModel): Map<string, number> {
  const ranks = new Map<string, number>();
  const fromInfo = (info: OnnxValueInfo) => {
    const dims = info.type?.tensorType?.shape?.dim;
    if (dims) ranks.set(info.name, dims.length);
  };
  for (const info of [...model.graph.input, ...((model.graph as { valueInfo?: OnnxValueInfo[] }).valueInfo ?? [])]) fromInfo(info);
  for (const init of model.graph.initializer ?? []) if (init.name) ranks.set(init.name, init.dims?.length ?? 0);
  for (const node of model.graph.node) {
    const value = node.opType === 'Constant' ? node.attribute?.find((a) => a.name === 'value')?.t : undefined;
    if (value && node.output[0]) ranks.set(node.output[0], value.dims?.length ?? 0);
  }
  return ranks;
}

function upgradeToOpset7(model: OnnxModel, changes: string[]): void {
  const ranks = knownRanks(model);
  const nodes: OnnxNode[] = [];
  let unsqueezed = 0;
  for (const node of model.graph.node) {
    if ((node.domain ?? '') !== '') {
      nodes.push(node);
      continue;
    }
    const removed = [...(REMOVED_ATTRIBUTES['*'] ?? []), ...(REMOVED_ATTRIBUTES[node.opType] ?? [])];
    if (LEGACY_BROADCAST.has(node.opType)) {
      // PRelu before opset 7 applied a 1-D slope per channel (axis 1), without attributes.
      const broadcast = node.opType === 'PRelu' ? 1 : attributeInt(node, 'broadcast');
      const axis = node.opType === 'PRelu' ? 1 : attributeInt(node, 'axis');
      removed.push('broadcast', 'axis');
      // Legacy broadcasting aligns B with A starting at `axis`; numpy aligns trailing dimensions.
      // They agree when B reaches A's last dimension; otherwise B gets trailing 1-dimensions.
      if (broadcast === 1 && axis !== undefined && node.input.length === 2) {
        const rankA = ranks.get(node.input[0]!);
        const rankB = ranks.get(node.input[1]!);
        const start = axis < 0 && rankA !== undefined ? rankA + axis : axis;
        if (rankA !== undefined && rankB !== undefined && start + rankB < rankA) {
          const name = `${node.input[1]}__berth_unsqueezed_${unsqueezed++}`;
          const axes = Array.from({ length: rankA - start - rankB }, (_, i) => rankB + i);
          nodes.push({ opType: 'Unsqueeze', domain: '', input: [node.input[1]!], output: [name], attribute: [{ name: 'axes', type: OnnxAttributeType.INTS, ints: axes }] });
          node.input = [node.input[0]!, name];
          changes.push(`${node.opType} '${node.name ?? ''}': legacy axis=${axis} broadcast made explicit`);
        }
      }
    }
    const before = node.attribute?.length ?? 0;
    node.attribute = (node.attribute ?? []).filter((a) => !removed.includes(a.name));
    if (node.attribute.length !== before) changes.push(`${node.opType}: removed ${removed.filter((r) => r !== '*').join('/')} attributes`);
    nodes.push(node);
  }
  model.graph.node = nodes;
}

/** Local derivative rules: the gradient contribution to each input, given the output's gradient. */
type Emit = (opType: string, inputs: string[]) => string;
const DERIVATIVES: Readonly<Record<string, (inputs: readonly string[], grad: string, emit: Emit) => (string | undefined)[]>> = {
  Add: (_, g) => [g, g],
  Sub: (_, g, emit) => [g, emit('Neg', [g])],
  Mul: ([a, b], g, emit) => [emit('Mul', [g, b!]), emit('Mul', [g, a!])],
  Div: ([a, b], g, emit) => [emit('Div', [g, b!]), emit('Neg', [emit('Div', [emit('Mul', [g, a!]), emit('Mul', [b!, b!])])])],
  Neg: (_, g, emit) => [emit('Neg', [g])],
  Identity: (_, g) => [g],
};

function elementTypeOf(model: OnnxModel, name: string): number {
  const info = [...model.graph.output, ...model.graph.input].find((i) => i.name === name);
  return info?.type?.tensorType?.elemType ?? OnnxElementType.FLOAT;
}

function oneOfType(elemType: number): OnnxTensorProto {
  switch (elemType) {
    case OnnxElementType.FLOAT:
      return { dims: [1], dataType: elemType, floatData: [1] };
    case OnnxElementType.DOUBLE:
      return { dims: [1], dataType: elemType, doubleData: [1] };
    default:
      throw new Error(`the Gradient operator can only be expanded for FLOAT or DOUBLE tensors (element type ${elemType})`);
  }
}

function expandGradients(model: OnnxModel, changes: string[]): void {
  const opset = model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (!opset || Number(opset.version) < 9) throw new Error('the Gradient operator can only be expanded in models of opset 9 or later');
  const shapes = new Map(model.graph.input.map((i) => [i.name, JSON.stringify(i.type?.tensorType?.shape?.dim ?? null)]));
  if (new Set(shapes.values()).size > 1) {
    throw new Error('the Gradient operator can only be expanded when every graph input has the same shape (no broadcasting)');
  }
  const forward = model.graph.node.filter((n) => !(n.domain === TRAINING_DOMAIN && n.opType === 'Gradient'));
  const expanded: OnnxNode[] = [...forward];
  let counter = 0;
  for (const node of model.graph.node) {
    if (!(node.domain === TRAINING_DOMAIN && node.opType === 'Gradient')) continue;
    const utf8 = new TextDecoder();
    const xs = (node.attribute?.find((a) => a.name === 'xs')?.strings ?? []).map((s) => utf8.decode(s));
    const yBytes = node.attribute?.find((a) => a.name === 'y')?.s;
    if (!yBytes) throw new Error('a Gradient node has no y attribute');
    const y = utf8.decode(yBytes);
    const emit: Emit = (opType, inputs) => {
      const output = `__berth_grad_${counter++}`;
      expanded.push({ opType, domain: '', input: inputs, output: [output], attribute: [] });
      return output;
    };
    // Seed: dy/dy = 1 everywhere (the gradient of sum(y) for a non-scalar y), of y's type.
    const seed = `__berth_grad_${counter++}`;
    expanded.push({
      opType: 'ConstantOfShape',
      domain: '',
      input: [emit('Shape', [y])],
      output: [seed],
      attribute: [{ name: 'value', type: OnnxAttributeType.TENSOR, t: oneOfType(elementTypeOf(model, y)) }],
    });
    const grads = new Map<string, string[]>([[y, [seed]]]);
    const total = (name: string): string | undefined => {
      const parts = grads.get(name);
      if (!parts || parts.length === 0) return undefined;
      return parts.length === 1 ? parts[0] : emit('Sum', parts);
    };
    // Reverse topological order: forward nodes are already topologically sorted in a valid model.
    for (const fwd of [...forward].reverse()) {
      const outGrad = fwd.output.length === 1 ? total(fwd.output[0]!) : undefined;
      if (outGrad === undefined) continue;
      const rule = DERIVATIVES[fwd.opType];
      if (!rule || (fwd.domain ?? '') !== '') {
        throw new Error(`the Gradient operator cannot be expanded through ${fwd.opType}; only ${Object.keys(DERIVATIVES).join(', ')} are supported`);
      }
      rule(fwd.input, outGrad, emit).forEach((g, i) => {
        const input = fwd.input[i];
        if (g !== undefined && input !== undefined) grads.set(input, [...(grads.get(input) ?? []), g]);
      });
    }
    node.output.forEach((outputName, i) => {
      const x = xs[i];
      const g = x === undefined ? undefined : total(x);
      if (g === undefined) throw new Error(`the Gradient operator's y '${y}' does not depend on '${x}'`);
      expanded.push({ opType: 'Identity', domain: '', input: [g], output: [outputName], attribute: [] });
    });
    changes.push(`Gradient of '${y}' with respect to ${xs.map((x) => `'${x}'`).join(', ')} expanded into element-wise operators`);
  }
  model.graph.node = expanded;
}
