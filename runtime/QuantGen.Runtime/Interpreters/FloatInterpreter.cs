using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Operators;

namespace QuantGen.Interpreters
{
    /// <summary>
    /// Runs a float graph (the trained model) in double precision with float32 weights: the reference the
    /// integer model is measured against. GELU is the exact erf form, LayerNorm uses the biased variance and
    /// epsilon, softmax is max-subtracted. Thread-safe: no state between calls.
    /// </summary>
    public sealed class FloatInterpreter
    {
        public FloatInterpreter(ModelGraph graph)
        {
            if (graph.IsQuantized)
            {
                throw new ArgumentException($"model \"{graph.Name}\" is quantized; the float interpreter runs float models", nameof(graph));
            }

            Graph = graph;
            OperatorRegistry.EnsureImplemented(graph, CoreStage.Float, "float semantics");
        }

        public ModelGraph Graph { get; }

        public double[] Run(float[] input) => Evaluate(input, null);

        /// <summary>Every tensor by name (input included), for calibration and per-layer comparisons.</summary>
        public IReadOnlyDictionary<string, double[]> RunAll(float[] input)
        {
            var all = new Dictionary<string, double[]>(StringComparer.Ordinal);
            Evaluate(input, all);
            return all;
        }

        private double[] Evaluate(float[] input, Dictionary<string, double[]>? all)
        {
            TensorInfo inTensor = Graph.Input;
            if (input.Length != inTensor.ElementCount)
            {
                throw new ArgumentException($"model \"{Graph.Name}\" takes {inTensor.ElementCount} input elements ({inTensor}); got {input.Length}", nameof(input));
            }

            var values = new Dictionary<string, double[]>(StringComparer.Ordinal) { [inTensor.Name] = Array.ConvertAll(input, v => (double)v) };
            foreach (GraphNode node in Graph.Nodes)
            {
                var inputs = new double[node.Inputs.Count][];
                for (int i = 0; i < inputs.Length; i++)
                {
                    TensorInfo t = node.Inputs[i];
                    inputs[i] = t.Kind == TensorKind.Initializer ? Array.ConvertAll(t.FloatData!, v => (double)v) : values[t.Name];
                }

                Operator def = OperatorRegistry.Core.Find(node.Layer.Op)!;
                var outputs = new double[node.Outputs.Count][];
                for (int j = 0; j < outputs.Length; j++)
                {
                    outputs[j] = new double[node.Outputs[j].ElementCount];
                }

                def.Float(node, inputs, outputs);
                for (int j = 0; j < outputs.Length; j++)
                {
                    values[node.Outputs[j].Name] = outputs[j];
                }
            }

            if (all != null)
            {
                foreach (KeyValuePair<string, double[]> kv in values)
                {
                    all[kv.Key] = kv.Value;
                }
            }

            return values[Graph.Output.Name];
        }

    }
}
