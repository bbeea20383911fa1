using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Interpreters
{
    /// <summary>
    /// The oracle. Runs a quantized graph with plain scalar integer arithmetic, one layer after the other,
    /// calling the one definition of each integer operator in <see cref="QuantGen.Numerics"/>. Every backend
    /// (generated C#, ILGPU kernels, HLS C++) must produce exactly these integers. Deliberately simple: no
    /// SIMD, no fusion, no buffer reuse. Thread-safe: it keeps no state between calls.
    /// </summary>
    public sealed class ReferenceInterpreter
    {
        public ReferenceInterpreter(ModelGraph graph)
        {
            if (!graph.IsQuantized)
            {
                throw new ArgumentException($"model \"{graph.Name}\" is a float model; the reference interpreter runs quantized models (use FloatInterpreter)", nameof(graph));
            }

            Graph = graph;
            OperatorRegistry.EnsureImplemented(graph, CoreStage.Reference, "integer semantics");
        }

        public ModelGraph Graph { get; }

        public TensorQuant InputQuant => Graph.Input.Quant!;

        public TensorQuant OutputQuant => Graph.Output.Quant!;

        /// <summary>Runs one sample: <paramref name="input"/> holds the integer input tensor, row-major.</summary>
        public int[] Run(int[] input) => Evaluate(new[] { input }, null)[0];

        /// <summary>Runs one sample of a model with several inputs (spec order); returns every output (spec order).</summary>
        public int[][] RunMany(IReadOnlyList<int[]> inputs) => Evaluate(inputs, null);

        /// <summary>Runs one sample and returns every activation by tensor name (input included).</summary>
        public IReadOnlyDictionary<string, int[]> RunAll(int[] input) => RunAll(new[] { input });

        /// <summary>Every activation by tensor name (inputs included) of a model with several inputs (spec order).</summary>
        public IReadOnlyDictionary<string, int[]> RunAll(IReadOnlyList<int[]> inputs)
        {
            var all = new Dictionary<string, int[]>(StringComparer.Ordinal);
            Evaluate(inputs, all);
            return all;
        }

        /// <summary>
        /// The input boundary helper: real -> integer with the project's one rounding rule (nearest, ties toward
        /// +infinity), then saturation to the input type. This is the only place floats meet the integer path.
        /// </summary>
        public int[] Quantize(float[] input)
        {
            TensorQuant q = InputQuant;
            var result = new int[input.Length];
            for (int i = 0; i < input.Length; i++)
            {
                result[i] = (int)Numerics.Quantization.Quantize(input[i], q.Scale, q.ZeroPoint, q.Type);
            }

            return result;
        }

        public double[] Dequantize(int[] output)
        {
            var result = new double[output.Length];
            for (int i = 0; i < output.Length; i++)
            {
                result[i] = OutputQuant.Dequantize(output[i]);
            }

            return result;
        }

        private int[][] Evaluate(IReadOnlyList<int[]> given, Dictionary<string, int[]>? all)
        {
            if (given.Count != Graph.Inputs.Count)
            {
                throw new ArgumentException($"model \"{Graph.Name}\" takes {Graph.Inputs.Count} input(s); got {given.Count}", nameof(given));
            }

            var values = new Dictionary<string, int[]>(StringComparer.Ordinal);
            for (int k = 0; k < given.Count; k++)
            {
                TensorInfo inTensor = Graph.Inputs[k];
                int[] input = given[k];
                if (input.Length != inTensor.ElementCount)
                {
                    throw new ArgumentException($"model \"{Graph.Name}\" takes {inTensor.ElementCount} input elements in \"{inTensor.Name}\" ({inTensor}); got {input.Length}", nameof(given));
                }

                InputSpec spec = Graph.Spec.Inputs[k];
                long lo = inTensor.IsIndex ? 0 : inTensor.Type.MinValue;
                long hi = inTensor.IsIndex ? (long)spec.RangeMax : inTensor.Type.MaxValue;
                for (int i = 0; i < input.Length; i++)
                {
                    if (input[i] < lo || input[i] > hi)
                    {
                        throw new ArgumentOutOfRangeException(nameof(given), $"input \"{inTensor.Name}\"[{i}] = {input[i]} is outside [{lo}, {hi}]");
                    }
                }

                values[inTensor.Name] = input;
            }

            foreach (GraphNode node in Graph.Nodes)
            {
                int[][] inputs = new int[node.Inputs.Count][];
                for (int i = 0; i < inputs.Length; i++)
                {
                    TensorInfo t = node.Inputs[i];
                    inputs[i] = t.Kind == TensorKind.Initializer ? t.IntData! : values[t.Name];
                }

                Operator def = OperatorRegistry.Core.Find(node.Layer.Op)!;
                var outputs = new int[node.Outputs.Count][];
                for (int j = 0; j < outputs.Length; j++)
                {
                    outputs[j] = new int[node.Outputs[j].ElementCount];
                }

                def.Reference(node, inputs, outputs);
                for (int j = 0; j < outputs.Length; j++)
                {
                    values[node.Outputs[j].Name] = outputs[j];
                }
            }

            if (all != null)
            {
                foreach (KeyValuePair<string, int[]> kv in values)
                {
                    all[kv.Key] = kv.Value;
                }
            }

            var result = new int[Graph.Outputs.Count][];
            for (int j = 0; j < result.Length; j++)
            {
                result[j] = values[Graph.Outputs[j].Name];
            }

            return result;
        }
    }
}
