using System;

namespace QuantGen.Data
{
    /// <summary>A data file (labelled CSV) that cannot be used: the message names the file and, where known, line and column.</summary>
    public sealed class DataFileException : FormatException
    {
        public DataFileException(string message, string? file = null)
            : base(message)
        {
            File = file;
        }

        public string? File { get; }
    }
}
