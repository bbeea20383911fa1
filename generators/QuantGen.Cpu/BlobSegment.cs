using System.Collections.Generic;

namespace QuantGen.Cpu
{
    /// <summary>How a section of the weight blob was packed: the kind, where, and from which integer array.</summary>
    public enum BlobSegmentKind
    {
        /// <summary>int8 rows [n][k] padded to kp bytes (<see cref="BlobSegment.Pad"/>).</summary>
        Rows,

        /// <summary>int8 in the VNNI layout [ceil(k / 4)][np8][4] (<see cref="BlobSegment.Pad"/> = np8).</summary>
        Quads,

        /// <summary>int32 little-endian values, as they are.</summary>
        Ints,

        /// <summary>int8 [n][k] stored transposed, [k][n] (the GPU backend's Dense weights).</summary>
        Transposed,
    }

    /// <summary>One section of the weight blob (the generator replays it from an embedded resource for large models).</summary>
    public sealed class BlobSegment
    {
        public BlobSegment(BlobSegmentKind kind, int offset, int length, int[] source, int n, int k, int pad)
        {
            Kind = kind;
            Offset = offset;
            Length = length;
            Source = source;
            N = n;
            K = k;
            Pad = pad;
        }

        public BlobSegmentKind Kind { get; }

        public int Offset { get; }

        public int Length { get; }

        /// <summary>The values packed (a tensor's IntData when the section holds an initializer as it is).</summary>
        public int[] Source { get; }

        public int N { get; }

        public int K { get; }

        public int Pad { get; }
    }

    /// <summary>
    /// The C# expression of a weight blob (a byte[]: the CPU's s_blob, the GPU's int8 weights buffer), or null for the
    /// default (a base64 literal; the user-string heap limits it to a few MB).
    /// </summary>
    public delegate string? BlobInitializer(byte[] blob, IReadOnlyList<BlobSegment> segments);
}
