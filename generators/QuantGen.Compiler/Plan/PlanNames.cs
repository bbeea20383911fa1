using QuantGen.Graph;
using QuantGen.Naming;

namespace QuantGen.Plan
{
    /// <summary>
    /// The one naming decision of a model: for each target language, a unique valid identifier for every tensor and every
    /// layer, allocated in a fixed order (model input, then each layer and its outputs in execution order, then the
    /// initializers in spec order), so the output depends on the model alone.
    /// </summary>
    public sealed class PlanNames
    {
        private readonly IdentifierAllocator csTensors = new IdentifierAllocator(NameTarget.CSharp);
        private readonly IdentifierAllocator csLayers = new IdentifierAllocator(NameTarget.CSharp);

        // Parameters of the generated API of a model with several inputs/outputs; reserved: the names the methods use besides them.
        private readonly IdentifierAllocator csParameters = new IdentifierAllocator(NameTarget.CSharp, new[] { "batchSize", "i", "b", "value", "k", "labels", "best", "destination" });
        private readonly IdentifierAllocator cppTensors = new IdentifierAllocator(NameTarget.Cpp, Keywords.Cpp);
        private readonly IdentifierAllocator cppScope = new IdentifierAllocator(NameTarget.Cpp, Keywords.Cpp);

        internal PlanNames(ModelGraph graph)
        {
            cppScope.Get(ModelKey, graph.Name);
            foreach (TensorInfo input in graph.Inputs)
            {
                Tensor(input);
            }

            foreach (TensorInfo input in graph.Inputs)
            {
                csParameters.Get(input.Name, CamelCase(input.Name));
            }

            foreach (TensorInfo output in graph.Outputs)
            {
                csParameters.Get(output.Name, CamelCase(output.Name));
            }

            foreach (GraphNode node in graph.Nodes)
            {
                csLayers.Get(node.Layer.Name);
                cppScope.Get(LayerKey(node.Layer.Name), node.Layer.Name);
                foreach (TensorInfo o in node.Outputs)
                {
                    Tensor(o);
                }
            }

            foreach (TensorInfo t in graph.Tensors.Values)
            {
                if (t.Kind == TensorKind.Initializer)
                {
                    Tensor(t);
                }
            }
        }

        /// <summary>The key of the model's own name in <see cref="NewCppScope"/>.</summary>
        public const string ModelKey = "model";

        /// <summary>The key of a layer's function name in <see cref="NewCppScope"/>.</summary>
        public static string LayerKey(string layer) => "layer " + layer;

        /// <summary>C#: the identifier of a tensor (printed behind a prefix, e.g. "_t_").</summary>
        public string CSharpTensor(string tensor) => csTensors.Get(tensor);

        /// <summary>C#: the identifier of a layer (printed behind a prefix, e.g. "Layer_").</summary>
        public string CSharpLayer(string layer) => csLayers.Get(layer);

        /// <summary>
        /// C#: the parameter name of a model input or output in the generated API (camelCase of the tensor name:
        /// <c>input_ids</c> -> <c>inputIds</c>), unique among the model's inputs and outputs, allocated in spec order.
        /// </summary>
        public string CSharpParameter(string tensor)
        {
            // A tensor named "class" or "in" is a parameter @class / @in (its constants drop the '@': ClassLength).
            string id = csParameters.Get(tensor);
            return System.Linq.Enumerable.Contains(Naming.Keywords.CSharp, id) ? "@" + id : id;
        }

        /// <summary>C++/Tcl: the identifier of a tensor, unique among tensors.</summary>
        public string CppTensor(string tensor) => cppTensors.Get(tensor);

        /// <summary>
        /// A fresh copy of the C++ scope that already holds the model name (<see cref="ModelKey"/>) and every layer
        /// (<see cref="LayerKey"/>); a backend extends it with its derived names (arrays, types, constants) in its own
        /// fixed order.
        /// </summary>
        public IdentifierAllocator NewCppScope() => cppScope.Clone();

        private static string CamelCase(string name)
        {
            var sb = new System.Text.StringBuilder();
            bool upper = false;
            foreach (char c in name)
            {
                if (!char.IsLetterOrDigit(c))
                {
                    upper = sb.Length > 0;
                    continue;
                }

                sb.Append(sb.Length == 0 ? char.ToLowerInvariant(c) : upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }

            return sb.Length == 0 ? name : sb.ToString();
        }

        private void Tensor(TensorInfo t)
        {
            csTensors.Get(t.Name);
            cppTensors.Get(t.Name);
        }
    }
}
