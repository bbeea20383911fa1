using System.Runtime.InteropServices;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>mkfifo for the FIFO cases (no .NET API creates one).</summary>
    public static class Native
    {
        public static void MakeFifo(string path)
        {
            if (mkfifo(path, 0x1B6) != 0)
            {
                throw new System.IO.IOException("mkfifo failed: errno " + Marshal.GetLastPInvokeError());
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
    }
}
