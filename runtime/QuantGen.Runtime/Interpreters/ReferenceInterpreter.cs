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
        public int[] Run(int[] input) => Evaluate(input, null);

        /// <summary>Runs one sample and returns every activation by tensor name (input included).</summary>
        public IReadOnlyDictionary<string, int[]> RunAll(int[] input)
        {
            var all = new Dictionary<string, int[]>(StringComparer.Ordinal);
            Evaluate(input, all);
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

        private int[] Evaluate(int[] input, Dictionary<string, int[]>? all)
        {
            TensorInfo inTensor = Graph.Input;
            if (input.Length != inTensor.ElementCount)
            {
                throw new ArgumentException($"model \"{Graph.Name}\" takes {inTensor.ElementCount} input elements ({inTensor}); got {input.Length}", nameof(input));
            }

            foreach (int v in input)
            {
                if (v < inTensor.Type.MinValue || v > inTensor.Type.MaxValue)
                {
                    throw new ArgumentOutOfRangeException(nameof(input), $"input value {v} is outside {inTensor.Type}");
                }
            }

            var values = new Dictionary<string, int[]>(StringComparer.Ordinal) { [inTensor.Name] = input };
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

            return values[Graph.Output.Name];
        }

    }
}
