using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Json;
using QuantGen.Model;
using QuantGen.Plan;

namespace QuantGen.Operators
{
    /// <summary>
    /// A static strided slice (<see cref="SliceLayer"/>, ONNX Slice semantics): per listed axis, start, start + step, ...
    /// up to (not including) end, negative starts/ends counting from the end, clamped to the axis. The output keeps the
    /// input's quantization, so the integer and float semantics are the same gather.
    /// </summary>
    public sealed class SliceOperator : Operator
    {
        private static readonly string[] OwnFields = { "starts", "ends", "axes", "steps" };

        public override OpKind Op => OpKind.Slice;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override OutputQuantization OutputQuantization => OutputQuantization.Input;

        public override LayerSpec? Parse(LayerReader r)
        {
            var s = new SliceLayer
            {
                Starts = r.LongArray("starts", long.MinValue, long.MaxValue) ?? new long[0],
                Ends = r.LongArray("ends", long.MinValue, long.MaxValue) ?? new long[0],
            };
            int n = s.Starts.Length;
            if (r.Get("starts") is JsonArray starts && starts.Count == 0)
            {
                r.Report(ModelErrors.InvalidValue, "\"starts\" is empty: a Slice names at least one axis", starts);
            }

            if (r.Get("ends") is JsonArray ends && ends.Count != n && s.Ends.Length == ends.Count)
            {
                r.Report(ModelErrors.ShapeMismatch, $"\"ends\" has {ends.Count} entries but \"starts\" has {n}; one per sliced axis", ends);
            }

            if (r.Get("axes") != null)
            {
                int[]? axes = r.IntArray("axes", -SpecParser.MaxRank, SpecParser.MaxRank - 1);
                if (axes != null)
                {
                    s.Axes = axes;
                    if (axes.Length != n)
                    {
                        r.Report(ModelErrors.ShapeMismatch, $"\"axes\" has {axes.Length} entries but \"starts\" has {n}; one per sliced axis", "axes");
                    }

                    var seen = new HashSet<int>();
                    for (int j = 0; j < axes.Length; j++)
                    {
                        if (!seen.Add(axes[j]))
                        {
                            r.Report(ModelErrors.InvalidValue, $"axis {axes[j]} appears twice in \"axes\"; slice each axis once", ((JsonArray)r.Get("axes")!).Items[j]);
                        }
                    }
                }
            }

            if (r.Get("steps") != null)
            {
                long[]? steps = r.LongArray("steps", long.MinValue + 1, long.MaxValue);
                if (steps != null)
                {
                    s.Steps = steps;
                    if (steps.Length != n)
                    {
                        r.Report(ModelErrors.ShapeMismatch, $"\"steps\" has {steps.Length} entries but \"starts\" has {n}; one per sliced axis", "steps");
                    }

                    for (int j = 0; j < steps.Length; j++)
                    {
                        if (steps[j] == 0)
                        {
                            r.Report(ModelErrors.InvalidValue, "a slice step is never 0 (use a positive step, or a negative one to walk backwards)", ((JsonArray)r.Get("steps")!).Items[j]);
                        }
                    }
                }
            }

            return s;
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var s = (SliceLayer)layer;
            w.Property("starts", s.Starts);
            w.Property("ends", s.Ends);
            if (s.Axes.Length > 0)
            {
                w.Property("axes", s.Axes);
            }

            if (s.Steps.Length > 0)
            {
                w.Property("steps", s.Steps);
            }
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var s = (SliceLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            int rank = x.Length, n = s.Starts.Length;
            if (n == 0 || s.Ends.Length != n || (s.Axes.Length != 0 && s.Axes.Length != n) || (s.Steps.Length != 0 && s.Steps.Length != n))
            {
                return One(c.Fail($"Slice needs one start, end (and axis and step, when given) per sliced axis; found {n} starts, {s.Ends.Length} ends, {s.Axes.Length} axes, {s.Steps.Length} steps", ModelErrors.InvalidValue));
            }

            var seen = new HashSet<int>();
            for (int j = 0; j < n; j++)
            {
                int given = s.Axes.Length > 0 ? s.Axes[j] : j;
                int axis = DataMovement.NormalizeAxis(given, rank);
                if (axis < 0 || axis >= rank)
                {
                    return One(c.Fail($"Slice axis {given} is out of range for the input {Shape(x)} (use -{rank} to {rank - 1})", ModelErrors.InvalidValue));
                }

                if (!seen.Add(axis))
                {
                    return One(c.Fail($"Slice names axis {axis} twice (axes {Shape(s.Axes)} of an input of rank {rank})", ModelErrors.InvalidValue));
                }

                if (s.Steps.Length > 0 && s.Steps[j] == 0)
                {
                    return One(c.Fail("a slice step is never 0", ModelErrors.InvalidValue));
                }
            }

            int[] count = DataMovement.NormalizeSlice(s, x).Count;
            for (int k = 0; k < rank; k++)
            {
                if (count[k] == 0)
                {
                    return One(c.Fail($"Slice of {Shape(x)} is empty along axis {k} (starts {Longs(s.Starts)}, ends {Longs(s.Ends)}{(s.Steps.Length > 0 ? ", steps " + Longs(s.Steps) : string.Empty)}); a tensor has no empty axis", ModelErrors.InvalidValue));
                }
            }

            return One(count);
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // no integer parameters: the output keeps the input's quantization

        public override IntRange Range(RangeContext c) => c.In(0);

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs) => Gather(node, inputs[0], outputs[0]);

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs) => Gather(node, inputs[0], outputs[0]);

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer) => One(c.Input(0));

        /// <summary>The definition: output element (i_0, ..., i_{r-1}) is input element (start_k + i_k step_k)_k.</summary>
        private static void Gather<T>(GraphNode node, T[] x, T[] y)
        {
            int[] shape = node.Inputs[0].Shape;
            (long[] start, long[] step, int[] count) = DataMovement.NormalizeSlice((SliceLayer)node.Layer, shape);
            int rank = shape.Length;
            var index = new int[rank];
            for (int e = 0; e < y.Length; e++)
            {
                long src = 0;
                for (int k = 0; k < rank; k++)
                {
                    src = src * shape[k] + start[k] + index[k] * step[k];
                }

                y[e] = x[src];
                for (int k = rank - 1; k >= 0; k--)
                {
                    if (++index[k] < count[k])
                    {
                        break;
                    }

                    index[k] = 0;
                }
            }
        }

        private static string Longs(long[] v) => "[" + string.Join(", ", v) + "]";
    }
}

namespace QuantGen.Model
{
    /// <summary>
    /// A static strided slice as ONNX Slice defines it: for each listed axis, elements start, start + step, ... up to (not
    /// including) end; negative starts/ends count from the end and are clamped to the axis; steps are non-zero and may be
    /// negative. Output quantization = input quantization.
    /// </summary>
    public sealed class SliceLayer : LayerSpec
    {
        public SliceLayer()
            : base(OpKind.Slice)
        {
        }

        public long[] Starts { get; set; } = new long[0];

        public long[] Ends { get; set; } = new long[0];

        /// <summary>Axes the starts/ends/steps refer to (default: 0, 1, ...).</summary>
        public int[] Axes { get; set; } = new int[0];

        /// <summary>Steps (default: all 1).</summary>
        public long[] Steps { get; set; } = new long[0];

        public override LayerSpec CloneFloat() => CopyBase(new SliceLayer { Starts = (long[])Starts.Clone(), Ends = (long[])Ends.Clone(), Axes = (int[])Axes.Clone(), Steps = (long[])Steps.Clone() });
    }
}
