using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Evaluates ONNX nodes whose result is static at import time: arithmetic on constants (Pow(Constant, Constant), a
    /// bias computed from initializers) and the shape subgraphs exporters write around reshapes and class tokens
    /// (Shape of a tensor with a known shape, Gather on shapes, Slice, Concat, Unsqueeze, Squeeze, Reshape, Expand,
    /// Where, Equal, ConstantOfShape, Cast, Range). Integer tensors stay exact (long), float tensors are computed in
    /// double and stored as float, as ONNX Runtime's constant folding would.
    /// </summary>
    internal static class ConstantFolder
    {
        /// <summary>Operators this folder evaluates (when every input is static).</summary>
        public static readonly HashSet<string> Ops = new HashSet<string>(StringComparer.Ordinal)
        {
            "Shape", "Size", "Gather", "Slice", "Concat", "Unsqueeze", "Squeeze", "Reshape", "Flatten", "Expand", "Where", "Equal", "Less",
            "Greater", "Not", "ConstantOfShape", "Cast", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Neg", "Reciprocal", "Range",
            "Transpose", "Min", "Max", "Abs", "Floor", "Ceil", "Erf", "Tanh",
        };

        /// <summary>
        /// The outputs of <paramref name="n"/>, or null when the node cannot be folded (an unknown operator, an input that
        /// is not static, an attribute combination the folder does not evaluate). <paramref name="inputs"/> holds the
        /// constant value of each input (null when not constant); <paramref name="shapes"/> the static shape of each
        /// input (needed by Shape and Size only).
        /// </summary>
        public static TensorValue[]? Evaluate(OnnxNode n, IReadOnlyList<TensorValue?> inputs, IReadOnlyList<int[]?> shapes)
        {
            string outName = n.Outputs.Count > 0 ? n.Outputs[0] : string.Empty;
            if (n.OpType == "Shape" || n.OpType == "Size")
            {
                int[]? s = shapes.Count > 0 ? shapes[0] : null;
                if (s == null)
                {
                    return null;
                }

                if (n.OpType == "Size")
                {
                    return new[] { Int(outName, new int[0], new[] { s.Aggregate(1L, (p, d) => p * d) }) };
                }

                int rank = s.Length;
                long start = n.Attribute("start")?.I ?? 0, end = n.Attribute("end")?.I ?? rank;
                start = Math.Max(0, Math.Min(rank, start < 0 ? start + rank : start));
                end = Math.Max(0, Math.Min(rank, end < 0 ? end + rank : end));
                long[] dims = s.Skip((int)start).Take((int)Math.Max(0, end - start)).Select(d => (long)d).ToArray();
                return new[] { Int(outName, new[] { dims.Length }, dims) };
            }

            if (n.OpType == "ConstantOfShape")
            {
                TensorValue? shape = inputs.Count > 0 ? inputs[0] : null;
                if (shape?.Ints == null)
                {
                    return null;
                }

                int[] dims = shape.Ints.Select(d => (int)d).ToArray();
                if (dims.Any(d => d < 0) || dims.Aggregate(1L, (p, d) => p * d) > TensorLimits.MaxElements)
                {
                    return null;
                }

                int count = dims.Aggregate(1, (p, d) => p * d);
                OnnxTensor? v = n.Attribute("value")?.T;
                if (v == null)
                {
                    return new[] { new TensorValue(outName, OnnxDataType.Float, dims, new float[count], null) };
                }

                TensorValue fill = TensorValue.Decode(v, ".", string.Empty, n.Place);
                return new[] { fill.IsFloat
                    ? new TensorValue(outName, fill.DataType, dims, Enumerable.Repeat(fill.Floats![0], count).ToArray(), null)
                    : new TensorValue(outName, fill.DataType, dims, null, Enumerable.Repeat(fill.Ints![0], count).ToArray()) };
            }

            if (inputs.Count == 0 || n.Inputs.Where((name, i) => name.Length > 0 && inputs[i] == null).Any())
            {
                return null;
            }

            TensorValue x = inputs[0]!;
            switch (n.OpType)
            {
                case "Add":
                case "Sub":
                case "Mul":
                case "Div":
                case "Pow":
                case "Min":
                case "Max":
                    return inputs.Count == 2 ? new[] { Binary(n.OpType, x, inputs[1]!, outName) } : null;
                case "Equal":
                case "Less":
                case "Greater":
                    return inputs.Count == 2 ? new[] { Compare(n.OpType, x, inputs[1]!, outName) } : null;
                case "Sqrt":
                case "Neg":
                case "Reciprocal":
                case "Abs":
                case "Floor":
                case "Ceil":
                case "Erf":
                case "Tanh":
                case "Not":
                    return new[] { Unary(n.OpType, x, outName) };
                case "Where":
                    return inputs.Count == 3 ? new[] { Where(x, inputs[1]!, inputs[2]!, outName) } : null;
                case "Cast":
                    return Cast(x, (int)(n.Attribute("to")?.I ?? 0), outName) is TensorValue c ? new[] { c } : null;
                case "Gather":
                    return inputs.Count == 2 ? Gather(x, inputs[1]!, (int)(n.Attribute("axis")?.I ?? 0), outName) : null;
                case "Slice":
                    return Slice(x, inputs, outName);
                case "Concat":
                    return Concat(inputs.Select(t => t!).ToList(), (int)(n.Attribute("axis")?.I ?? 0), outName);
                case "Unsqueeze":
                case "Squeeze":
                case "Reshape":
                case "Flatten":
                    return Reshape(n, x, inputs, outName);
                case "Expand":
                    return inputs.Count == 2 && inputs[1]!.Ints != null ? new[] { Expand(x, inputs[1]!.Ints!.Select(d => (int)d).ToArray(), outName) } : null;
                case "Range":
                    return Range(inputs, outName);
                case "Transpose":
                    return Transpose(x, n.Attribute("perm")?.Ints.Select(v => (int)v).ToArray(), outName);
                default:
                    return null;
            }
        }

        private static TensorValue Int(string name, int[] dims, long[] v, int type = OnnxDataType.Int64) => new TensorValue(name, type, dims, null, v);

        private static bool IsFloatType(int t) => t == OnnxDataType.Float || t == OnnxDataType.Double;

        private static TensorValue Make(string name, int type, int[] dims, Func<int, double> f)
        {
            int count = dims.Aggregate(1, (p, d) => p * d);
            if (IsFloatType(type))
            {
                var r = new float[count];
                for (int i = 0; i < count; i++)
                {
                    r[i] = (float)f(i);
                }

                return new TensorValue(name, type, dims, r, null);
            }

            var l = new long[count];
            for (int i = 0; i < count; i++)
            {
                l[i] = (long)f(i);
            }

            return new TensorValue(name, type, dims, null, l);
        }

        /// <summary>Numpy broadcasting of two shapes; null when they do not broadcast.</summary>
        internal static int[]? Broadcast(int[] a, int[] b)
        {
            int rank = Math.Max(a.Length, b.Length);
            var r = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
                int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
                if (da != db && da != 1 && db != 1)
                {
                    return null;
                }

                r[i] = da == 1 ? db : da;
            }

            return r;
        }

        /// <summary>The flat index into a tensor of shape <paramref name="src"/> broadcast to <paramref name="dst"/>.</summary>
        private static Func<int, int> Indexer(int[] src, int[] dst)
        {
            int rank = dst.Length;
            var strides = new int[rank];
            int s = 1;
            for (int i = rank - 1; i >= 0; i--)
            {
                int j = i - (rank - src.Length);
                int d = j >= 0 ? src[j] : 1;
                strides[i] = d == 1 ? 0 : s;
                s *= d;
            }

            return flat =>
            {
                int idx = 0;
                for (int i = rank - 1; i >= 0; i--)
                {
                    int c = flat % dst[i];
                    flat /= dst[i];
                    idx += c * strides[i];
                }

                return idx;
            };
        }

        private static TensorValue Binary(string op, TensorValue a, TensorValue b, string name)
        {
            int[] dims = Broadcast(a.Dims, b.Dims) ?? throw new InvalidOperationException("shapes do not broadcast");
            Func<int, int> ia = Indexer(a.Dims, dims), ib = Indexer(b.Dims, dims);
            bool fl = IsFloatType(a.DataType);
            if (!fl && a.Ints != null && b.Ints != null)
            {
                int count = dims.Aggregate(1, (p, d) => p * d);
                var r = new long[count];
                for (int i = 0; i < count; i++)
                {
                    long x = a.Ints[ia(i)], y = b.Ints[ib(i)];
                    r[i] = op switch
                    {
                        "Add" => x + y,
                        "Sub" => x - y,
                        "Mul" => x * y,
                        "Div" => y == 0 ? 0 : x / y,
                        "Min" => Math.Min(x, y),
                        "Max" => Math.Max(x, y),
                        _ => (long)Math.Pow(x, y),
                    };
                }

                return new TensorValue(name, a.DataType, dims, null, r);
            }

            return Make(name, fl ? a.DataType : OnnxDataType.Float, dims, i =>
            {
                double x = a[ia(i)], y = b[ib(i)];
                return op switch
                {
                    "Add" => x + y,
                    "Sub" => x - y,
                    "Mul" => x * y,
                    "Div" => x / y,
                    "Min" => Math.Min(x, y),
                    "Max" => Math.Max(x, y),
                    _ => Math.Pow(x, y),
                };
            });
        }

        private static TensorValue Compare(string op, TensorValue a, TensorValue b, string name)
        {
            int[] dims = Broadcast(a.Dims, b.Dims) ?? throw new InvalidOperationException("shapes do not broadcast");
            Func<int, int> ia = Indexer(a.Dims, dims), ib = Indexer(b.Dims, dims);
            return Make(name, OnnxDataType.Bool, dims, i =>
            {
                double x = a[ia(i)], y = b[ib(i)];
                return (op == "Equal" ? x == y : op == "Less" ? x < y : x > y) ? 1 : 0;
            });
        }

        private static TensorValue Unary(string op, TensorValue x, string name) => Make(name, op == "Not" ? OnnxDataType.Bool : x.DataType, x.Dims, i =>
        {
            double v = x[i];
            return op switch
            {
                "Sqrt" => Math.Sqrt(v),
                "Neg" => -v,
                "Reciprocal" => 1.0 / v,
                "Abs" => Math.Abs(v),
                "Floor" => Math.Floor(v),
                "Ceil" => Math.Ceiling(v),
                "Erf" => QuantGen.Numerics.FloatReference.Erf(v),
                "Tanh" => Math.Tanh(v),
                _ => v == 0 ? 1 : 0,
            };
        });

        private static TensorValue Where(TensorValue c, TensorValue a, TensorValue b, string name)
        {
            int[] dims = Broadcast(Broadcast(c.Dims, a.Dims) ?? throw new InvalidOperationException("shapes do not broadcast"), b.Dims) ?? throw new InvalidOperationException("shapes do not broadcast");
            Func<int, int> ic = Indexer(c.Dims, dims), ia = Indexer(a.Dims, dims), ib = Indexer(b.Dims, dims);
            if (a.Ints != null && b.Ints != null)
            {
                int count = dims.Aggregate(1, (p, d) => p * d);
                var r = new long[count];
                for (int i = 0; i < count; i++)
                {
                    r[i] = c[ic(i)] != 0 ? a.Ints[ia(i)] : b.Ints[ib(i)];
                }

                return new TensorValue(name, a.DataType, dims, null, r);
            }

            return Make(name, a.DataType, dims, i => c[ic(i)] != 0 ? a[ia(i)] : b[ib(i)]);
        }

        private static TensorValue? Cast(TensorValue x, int to, string name)
        {
            if (IsFloatType(to))
            {
                return Make(name, to, x.Dims, i => x[i]);
            }

            if (TensorValue.ElementBits(to) == null && to != OnnxDataType.Bool && to != OnnxDataType.Int64)
            {
                return null;
            }

            if (x.Ints != null)
            {
                return new TensorValue(name, to, x.Dims, null, to == OnnxDataType.Bool ? x.Ints.Select(v => v != 0 ? 1L : 0L).ToArray() : (long[])x.Ints.Clone());
            }

            return Make(name, to, x.Dims, i => to == OnnxDataType.Bool ? (x[i] != 0 ? 1 : 0) : Math.Truncate(x[i]));
        }

        private static int Axis(long axis, int rank) => (int)(axis < 0 ? axis + rank : axis);

        private static TensorValue[]? Gather(TensorValue data, TensorValue indices, int axisAttr, string name)
        {
            if (indices.Ints == null || data.Dims.Length == 0)
            {
                return null;
            }

            int rank = data.Dims.Length, axis = Axis(axisAttr, rank);
            if (axis < 0 || axis >= rank)
            {
                return null;
            }

            int outer = data.Dims.Take(axis).Aggregate(1, (p, d) => p * d), inner = data.Dims.Skip(axis + 1).Aggregate(1, (p, d) => p * d), n = data.Dims[axis];
            int[] dims = data.Dims.Take(axis).Concat(indices.Dims).Concat(data.Dims.Skip(axis + 1)).ToArray();
            var src = new List<int>();
            for (int o = 0; o < outer; o++)
            {
                foreach (long raw in indices.Ints)
                {
                    long k = raw < 0 ? raw + n : raw;
                    if (k < 0 || k >= n)
                    {
                        return null;
                    }

                    for (int i = 0; i < inner; i++)
                    {
                        src.Add((o * n + (int)k) * inner + i);
                    }
                }
            }

            return new[] { Pick(data, dims, src, name) };
        }

        private static TensorValue Pick(TensorValue data, int[] dims, IReadOnlyList<int> src, string name) => data.Ints != null
            ? new TensorValue(name, data.DataType, dims, null, src.Select(i => data.Ints[i]).ToArray())
            : new TensorValue(name, data.DataType, dims, src.Select(i => data.Floats![i]).ToArray(), null);

        private static TensorValue[]? Slice(TensorValue data, IReadOnlyList<TensorValue?> inputs, string name)
        {
            if (inputs.Count < 3 || inputs[1]?.Ints == null || inputs[2]?.Ints == null)
            {
                return null;
            }

            int rank = data.Dims.Length;
            long[] starts = inputs[1]!.Ints!, ends = inputs[2]!.Ints!;
            long[] axes = inputs.Count > 3 && inputs[3]?.Ints != null ? inputs[3]!.Ints! : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            long[] steps = inputs.Count > 4 && inputs[4]?.Ints != null ? inputs[4]!.Ints! : Enumerable.Repeat(1L, starts.Length).ToArray();
            var lo = new int[rank];
            var step = Enumerable.Repeat(1, rank).ToArray();
            int[] dims = (int[])data.Dims.Clone();
            for (int j = 0; j < starts.Length; j++)
            {
                int ax = Axis(axes[j], rank);
                if (ax < 0 || ax >= rank || steps[j] == 0)
                {
                    return null;
                }

                long d = data.Dims[ax], st = steps[j];
                long s = starts[j] < 0 ? starts[j] + d : starts[j], e = ends[j] < 0 ? ends[j] + d : ends[j];
                if (st > 0)
                {
                    s = Math.Max(0, Math.Min(d, s));
                    e = Math.Max(0, Math.Min(d, e));
                    dims[ax] = (int)Math.Max(0, (e - s + st - 1) / st);
                }
                else
                {
                    s = Math.Max(-1, Math.Min(d - 1, s));
                    e = Math.Max(-1, Math.Min(d - 1, e));
                    dims[ax] = (int)Math.Max(0, (s - e + (-st) - 1) / -st);
                }

                lo[ax] = (int)s;
                step[ax] = (int)st;
            }

            int count = dims.Aggregate(1, (p, v) => p * v);
            var src = new int[count];
            for (int flat = 0; flat < count; flat++)
            {
                int rem = flat, idx = 0, stride = 1;
                for (int i = rank - 1; i >= 0; i--)
                {
                    int c = rem % dims[i];
                    rem /= dims[i];
                    idx += (lo[i] + c * step[i]) * stride;
                    stride *= data.Dims[i];
                }

                src[flat] = idx;
            }

            return new[] { Pick(data, dims, src, name) };
        }

        private static TensorValue[]? Concat(List<TensorValue> parts, int axisAttr, string name)
        {
            int rank = parts[0].Dims.Length;
            int axis = Axis(axisAttr, rank);
            if (axis < 0 || axis >= rank || parts.Any(p => p.Dims.Length != rank || p.IsFloat != parts[0].IsFloat))
            {
                return null;
            }

            int[] dims = (int[])parts[0].Dims.Clone();
            dims[axis] = parts.Sum(p => p.Dims[axis]);
            int outer = dims.Take(axis).Aggregate(1, (p, d) => p * d);
            var f = new List<float>();
            var l = new List<long>();
            for (int o = 0; o < outer; o++)
            {
                foreach (TensorValue p in parts)
                {
                    int block = p.Dims.Skip(axis).Aggregate(1, (q, d) => q * d);
                    for (int i = 0; i < block; i++)
                    {
                        if (p.IsFloat)
                        {
                            f.Add(p.Floats![o * block + i]);
                        }
                        else
                        {
                            l.Add(p.Ints![o * block + i]);
                        }
                    }
                }
            }

            return new[] { parts[0].IsFloat ? new TensorValue(name, parts[0].DataType, dims, f.ToArray(), null) : new TensorValue(name, parts[0].DataType, dims, null, l.ToArray()) };
        }

        private static TensorValue[]? Reshape(OnnxNode n, TensorValue x, IReadOnlyList<TensorValue?> inputs, string name)
        {
            int rank = x.Dims.Length;
            int[] dims;
            switch (n.OpType)
            {
                case "Reshape":
                {
                    long[]? want = inputs.Count > 1 ? inputs[1]?.Ints : null;
                    if (want == null)
                    {
                        return null;
                    }

                    dims = new int[want.Length];
                    int infer = -1;
                    long known = 1;
                    for (int i = 0; i < want.Length; i++)
                    {
                        long d = want[i] == 0 && i < rank ? x.Dims[i] : want[i];
                        if (d == -1 && infer < 0)
                        {
                            infer = i;
                            continue;
                        }

                        if (d < 0)
                        {
                            return null;
                        }

                        dims[i] = (int)d;
                        known *= d;
                    }

                    if (infer >= 0)
                    {
                        if (known == 0)
                        {
                            return null;
                        }

                        dims[infer] = (int)(x.Count / known);
                    }

                    break;
                }

                case "Flatten":
                {
                    int axis = Axis(n.Attribute("axis")?.I ?? 1, rank);
                    int lead = x.Dims.Take(axis).Aggregate(1, (p, d) => p * d);
                    dims = new[] { lead, lead == 0 ? 0 : x.Count / lead };
                    break;
                }

                default:
                {
                    long[] axes = n.Attribute("axes")?.Ints.ToArray() ?? (inputs.Count > 1 && inputs[1]?.Ints != null ? inputs[1]!.Ints! : new long[0]);
                    if (n.OpType == "Squeeze")
                    {
                        var set = new HashSet<int>(axes.Select(a => Axis(a, rank)));
                        dims = x.Dims.Where((d, i) => set.Count == 0 ? d != 1 : !set.Contains(i)).ToArray();
                    }
                    else
                    {
                        int outRank = rank + axes.Length;
                        var set = new HashSet<int>(axes.Select(a => Axis(a, outRank)));
                        var t = new List<int>();
                        int j = 0;
                        for (int i = 0; i < outRank; i++)
                        {
                            t.Add(set.Contains(i) ? 1 : (j < rank ? x.Dims[j++] : 1));
                        }

                        dims = t.ToArray();
                    }

                    break;
                }
            }

            if (dims.Aggregate(1L, (p, d) => p * d) != x.Count)
            {
                return null;
            }

            return new[] { x.IsFloat ? new TensorValue(name, x.DataType, dims, x.Floats, null) : new TensorValue(name, x.DataType, dims, null, x.Ints) };
        }

        private static TensorValue Expand(TensorValue x, int[] shape, string name)
        {
            int[] dims = Broadcast(x.Dims, shape) ?? throw new InvalidOperationException("shapes do not broadcast");
            Func<int, int> ix = Indexer(x.Dims, dims);
            int count = dims.Aggregate(1, (p, d) => p * d);
            return Pick(x, dims, Enumerable.Range(0, count).Select(ix).ToArray(), name);
        }

        private static TensorValue[]? Range(IReadOnlyList<TensorValue?> inputs, string name)
        {
            if (inputs.Count != 3)
            {
                return null;
            }

            TensorValue s = inputs[0]!;
            double start = s[0], limit = inputs[1]![0], delta = inputs[2]![0];
            if (delta == 0)
            {
                return null;
            }

            int count = (int)Math.Max(0, Math.Ceiling((limit - start) / delta));
            if (count > TensorLimits.MaxElements)
            {
                return null;
            }

            return new[] { Make(name, s.DataType, new[] { count }, i => start + i * delta) };
        }

        private static TensorValue[]? Transpose(TensorValue x, int[]? perm, string name)
        {
            int rank = x.Dims.Length;
            perm ??= Enumerable.Range(0, rank).Reverse().ToArray();
            if (perm.Length != rank)
            {
                return null;
            }

            int[] dims = perm.Select(p => x.Dims[p]).ToArray();
            var srcStrides = new int[rank];
            int st = 1;
            for (int i = rank - 1; i >= 0; i--)
            {
                srcStrides[i] = st;
                st *= x.Dims[i];
            }

            var src = new int[x.Count];
            for (int flat = 0; flat < src.Length; flat++)
            {
                int rem = flat, idx = 0;
                for (int i = rank - 1; i >= 0; i--)
                {
                    int c = rem % dims[i];
                    rem /= dims[i];
                    idx += c * srcStrides[perm[i]];
                }

                src[flat] = idx;
            }

            return new[] { Pick(x, dims, src, name) };
        }
    }
}
