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

        public double[] Run(float[] input) => Evaluate(new[] { input }, null)[0];

        /// <summary>Runs one sample of a model with several inputs (spec order); returns every output (spec order).</summary>
        public double[][] RunMany(IReadOnlyList<float[]> inputs) => Evaluate(inputs, null);

        /// <summary>Every tensor by name (input included), for calibration and per-layer comparisons.</summary>
        public IReadOnlyDictionary<string, double[]> RunAll(float[] input) => RunAll(new[] { input });

        /// <summary>Every tensor by name (inputs included) of a model with several inputs (spec order).</summary>
        public IReadOnlyDictionary<string, double[]> RunAll(IReadOnlyList<float[]> inputs)
        {
            var all = new Dictionary<string, double[]>(StringComparer.Ordinal);
            Evaluate(inputs, all);
            return all;
        }

        private double[][] Evaluate(IReadOnlyList<float[]> given, Dictionary<string, double[]>? all)
        {
            if (given.Count != Graph.Inputs.Count)
            {
                throw new ArgumentException($"model \"{Graph.Name}\" takes {Graph.Inputs.Count} input(s); got {given.Count}", nameof(given));
            }

            var values = new Dictionary<string, double[]>(StringComparer.Ordinal);
            for (int k = 0; k < given.Count; k++)
            {
                TensorInfo inTensor = Graph.Inputs[k];
                float[] input = given[k];
                if (input.Length != inTensor.ElementCount)
                {
                    throw new ArgumentException($"model \"{Graph.Name}\" takes {inTensor.ElementCount} input elements in \"{inTensor.Name}\" ({inTensor}); got {input.Length}", nameof(given));
                }

                values[inTensor.Name] = Array.ConvertAll(input, v => (double)v);
            }

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

            var result = new double[Graph.Outputs.Count][];
            for (int j = 0; j < result.Length; j++)
            {
                result[j] = values[Graph.Outputs[j].Name];
            }

            return result;
        }
    }
}
