using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Naming;

namespace QuantGen.Plan
{
    /// <summary>
    /// Everything about a validated, range-analysed quantized model that more than one backend needs, computed once:
    /// graph facts (producers, consumers, graph outputs), the names every tensor and layer gets in C# and C++, the
    /// per-layer analysis, and the activation buffer plan. The C#, ILGPU and HLS planners start from it and add only
    /// their own decisions (kernels, widths of their own partial sums, pragmas); emitters print plans.
    /// </summary>
    public sealed class ModelPlan
    {
        private readonly Dictionary<string, GraphNode> producers = new Dictionary<string, GraphNode>(StringComparer.Ordinal);
        private readonly Dictionary<string, List<GraphNode>> consumers = new Dictionary<string, List<GraphNode>>(StringComparer.Ordinal);
        private readonly Dictionary<GraphNode, LayerPlan> byNode = new Dictionary<GraphNode, LayerPlan>();
        private BufferPlan? buffers;

        private ModelPlan(ModelGraph graph, RangeReport ranges)
        {
            Graph = graph;
            Ranges = ranges;
            var layers = new List<LayerPlan>(graph.Nodes.Count);
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                GraphNode node = graph.Nodes[i];
                foreach (TensorInfo o in node.Outputs)
                {
                    producers[o.Name] = node;
                }

                foreach (TensorInfo t in node.Inputs.Distinct())
                {
                    if (!consumers.TryGetValue(t.Name, out List<GraphNode>? list))
                    {
                        consumers[t.Name] = list = new List<GraphNode>();
                    }

                    list.Add(node);
                }

                var layer = new LayerPlan(i, node, ranges.Layers[i]);
                layers.Add(layer);
                byNode.Add(node, layer);
            }

            Layers = layers;
            GraphOutputs = graph.Outputs;
            Names = new PlanNames(graph);
        }

        public ModelGraph Graph { get; }

        public RangeReport Ranges { get; }

        /// <summary>One entry per graph node, in execution order.</summary>
        public IReadOnlyList<LayerPlan> Layers { get; }

        public IReadOnlyList<TensorInfo> GraphOutputs { get; }

        public PlanNames Names { get; }

        /// <summary>Activation liveness and slots, computed on first use (no backend arena reads it yet).</summary>
        public BufferPlan Buffers => buffers ??= BufferPlan.Build(this);

        /// <summary>Plans a quantized graph whose range analysis succeeded.</summary>
        public static ModelPlan Create(ModelGraph graph, RangeReport ranges)
        {
            if (!graph.IsQuantized)
            {
                throw new ArgumentException("only quantized graphs are planned", nameof(graph));
            }

            if (ranges.Layers.Count != graph.Nodes.Count)
            {
                throw new ArgumentException("the range report does not belong to this graph", nameof(ranges));
            }

            return new ModelPlan(graph, ranges);
        }

        /// <summary>The node writing <paramref name="tensor"/>; null for the model input and initializers.</summary>
        public GraphNode? Producer(string tensor) => producers.TryGetValue(tensor, out GraphNode? n) ? n : null;

        /// <summary>The nodes reading <paramref name="tensor"/>, in execution order, each once.</summary>
        public IReadOnlyList<GraphNode> Consumers(string tensor) =>
            consumers.TryGetValue(tensor, out List<GraphNode>? list) ? list : (IReadOnlyList<GraphNode>)Array.Empty<GraphNode>();

        public bool IsGraphOutput(TensorInfo t) => GraphOutputs.Any(o => o.Name == t.Name);

        /// <summary>The plan of a node of this graph (nodes compare by reference).</summary>
        public LayerPlan Layer(GraphNode node) => byNode[node];
    }

    /// <summary>The shared facts of one layer: its node, index and proven ranges.</summary>
    public sealed class LayerPlan
    {
        internal LayerPlan(int index, GraphNode node, LayerRanges ranges)
        {
            Index = index;
            Node = node;
            Ranges = ranges;
        }

        public int Index { get; }

        public GraphNode Node { get; }

        public OpKind Op => Node.Layer.Op;

        public LayerRanges Ranges { get; }
    }
}
