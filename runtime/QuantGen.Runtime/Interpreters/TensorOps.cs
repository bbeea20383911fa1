namespace QuantGen.Interpreters
{
    /// <summary>Data movement shared by both interpreters.</summary>
    internal static class TensorOps
    {
        /// <summary>A row-major shape seen as [outer, shape[axis], inner].</summary>
        public static (int Outer, int Count, int Inner) SplitAt(int[] shape, int axis)
        {
            int outer = 1, inner = 1;
            for (int i = 0; i < axis; i++)
            {
                outer *= shape[i];
            }

            for (int i = axis + 1; i < shape.Length; i++)
            {
                inner *= shape[i];
            }

            return (outer, shape[axis], inner);
        }

        /// <summary>y[j] = x[i] where output axis a is input axis perm[a] (row-major, ONNX Transpose semantics).</summary>
        public static void Transpose<T>(T[] x, int[] shape, int[] perm, T[] y)
        {
            int rank = shape.Length;
            var inStrides = new int[rank];
            int s = 1;
            for (int a = rank - 1; a >= 0; a--)
            {
                inStrides[a] = s;
                s *= shape[a];
            }

            var outShape = new int[rank];
            for (int a = 0; a < rank; a++)
            {
                outShape[a] = shape[perm[a]];
            }

            var index = new int[rank];
            for (int j = 0; j < y.Length; j++)
            {
                int src = 0;
                for (int a = 0; a < rank; a++)
                {
                    src += index[a] * inStrides[perm[a]];
                }

                y[j] = x[src];
                for (int a = rank - 1; a >= 0; a--)
                {
                    if (++index[a] < outShape[a])
                    {
                        break;
                    }

                    index[a] = 0;
                }
            }
        }
    }
}
