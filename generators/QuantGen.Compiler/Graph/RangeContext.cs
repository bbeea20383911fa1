using System;
using System.Collections.Generic;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Graph
{
    /// <summary>
    /// What an operator's range rule sees: the node, the proven ranges of its inputs, helpers for the monotone dyadic
    /// requantization and the int32 / operand-limit proofs, and the layer's named intermediates (shown by reports).
    /// </summary>
    public sealed class RangeContext
    {
        private readonly ModelGraph graph;
        private readonly Dictionary<string, IntRange> tensors;
        private readonly LayerRanges ranges;
        private readonly List<ModelDiagnostic> diagnostics;

        internal RangeContext(ModelGraph graph, GraphNode node, Dictionary<string, IntRange> tensors, LayerRanges ranges, List<ModelDiagnostic> diagnostics)
        {
            this.graph = graph;
            Node = node;
            this.tensors = tensors;
            this.ranges = ranges;
            this.diagnostics = diagnostics;
        }

        public GraphNode Node { get; }

        public IntRange In(int i) => tensors[Node.Inputs[i].Name];

        /// <summary>Input i minus its zero point.</summary>
        public IntRange Shifted(int i)
        {
            IntRange r = In(i);
            long zp = Node.Inputs[i].Quant!.ZeroPoint;
            return new IntRange(r.Min - zp, r.Max - zp);
        }

        /// <summary>The whole range of <paramref name="q"/>'s type (what an unproven output may take).</summary>
        public IntRange Full(TensorQuant q) => new IntRange(q.Type.MinValue, q.Type.MaxValue);

        public void Add(string name, IntRange r) => ranges.Intermediates.Add(new KeyValuePair<string, IntRange>(name, r));

        /// <summary>Requantization is monotone (increasing for a positive multiplier, decreasing for a negative one).</summary>
        public IntRange Requant(IntRange r, Dyadic d, long zeroPoint)
        {
            if (!CheckMagnitude("requant-operand", r, Dyadic.MaxOperand, "the dyadic operand limit"))
            {
                return new IntRange(long.MinValue / 4, long.MaxValue / 4);
            }

            long a = d.Apply(r.Min) + zeroPoint, b = d.Apply(r.Max) + zeroPoint;
            return new IntRange(Math.Min(a, b), Math.Max(a, b));
        }

        public bool CheckInt32(string what, IntRange r, string description)
        {
            if (r.Min >= int.MinValue && r.Max <= int.MaxValue)
            {
                return true;
            }

            Report($"{description} can reach {r} for inputs in the declared range, outside int32; lower the bit widths, the weights' magnitude or the input range");
            return false;
        }

        public bool CheckMagnitude(string what, IntRange r, long limit, string description)
        {
            if (r.Min >= -limit && r.Max <= limit)
            {
                return true;
            }

            Report($"{what} can reach {r}, beyond {description} (+-{limit})");
            return false;
        }

        public void Report(string message, string id = ModelErrors.PossibleOverflow)
        {
            SourcePlace p = Node.Layer.Place;
            diagnostics.Add(new ModelDiagnostic(id, $"layer \"{Node.Layer.Name}\": {message}", graph.Spec.SourceFile, p.Path, p.Line, p.Column));
        }
    }
}
