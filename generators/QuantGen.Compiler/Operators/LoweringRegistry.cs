using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>Something a stage registers for one operator: the operator's core definition, or a backend's lowering.</summary>
    public interface IOperatorLowering
    {
        OpKind Op { get; }
    }

    /// <summary>
    /// One stage's lowerings keyed by operator (the core's definitions, the C#, ILGPU and HLS backends' lowerings, the ONNX
    /// importer's mappings). A stage asks <see cref="Find"/> and reports a located diagnostic when it gets null: an
    /// operator a stage does not know is never guessed at. The registry test walks every stage x every operator.
    /// </summary>
    public sealed class LoweringRegistry<T>
        where T : class, IOperatorLowering
    {
        private readonly Dictionary<OpKind, T> byOp;

        public LoweringRegistry(string stage, IEnumerable<T> lowerings)
        {
            Stage = stage;
            byOp = new Dictionary<OpKind, T>();
            foreach (T l in lowerings)
            {
                if (byOp.ContainsKey(l.Op))
                {
                    throw new InvalidOperationException($"{stage}: two lowerings for {l.Op} ({byOp[l.Op].GetType().Name}, {l.GetType().Name})");
                }

                byOp.Add(l.Op, l);
            }
        }

        /// <summary>The stage's name as diagnostics and the registry test print it ("C# CPU", "HLS", ...).</summary>
        public string Stage { get; }

        /// <summary>Every non-abstract <typeparamref name="T"/> with a public parameterless constructor in <paramref name="assembly"/>.</summary>
        public static LoweringRegistry<T> Discover(string stage, Assembly assembly)
        {
            IEnumerable<T> found = assembly.GetTypes()
                .Where(t => typeof(T).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface && t.GetConstructor(Type.EmptyTypes) != null)
                .OrderBy(t => t.FullName, StringComparer.Ordinal)
                .Select(t => (T)Activator.CreateInstance(t)!);
            return new LoweringRegistry<T>(stage, found);
        }

        public T? Find(OpKind op) => byOp.TryGetValue(op, out T? l) ? l : null;

        public IEnumerable<T> All => byOp.OrderBy(kv => kv.Key).Select(kv => kv.Value);

        /// <summary>Operators this stage has no lowering for.</summary>
        public IReadOnlyList<OpKind> Missing() => AllOperators.Where(op => !byOp.ContainsKey(op)).ToList();

        /// <summary>A copy without <paramref name="op"/>: the registry test's own test removes one lowering with it.</summary>
        public LoweringRegistry<T> Without(OpKind op) => new LoweringRegistry<T>(Stage, byOp.Where(kv => kv.Key != op).Select(kv => kv.Value));

        public static IReadOnlyList<OpKind> AllOperators { get; } = ((OpKind[])Enum.GetValues(typeof(OpKind))).OrderBy(o => o).ToList();
    }
}
