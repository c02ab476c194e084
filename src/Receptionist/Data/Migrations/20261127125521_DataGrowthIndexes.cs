using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class DataGrowthIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_calls_business_id_received_at",
                table: "calls");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:pg_trgm", ",,");

            migrationBuilder.CreateIndex(
                name: "ix_calls_business_id_outcome_received_at_id",
                table: "calls",
                columns: new[] { "business_id", "outcome", "received_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_calls_business_id_received_at_id",
                table: "calls",
                columns: new[] { "business_id", "received_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_calls_caller_number_trgm",
                table: "calls",
                column: "caller_number")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" })
                .Annotation("Npgsql:StorageParameter:fastupdate", false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_calls_business_id_outcome_received_at_id",
                table: "calls");

            migrationBuilder.DropIndex(
                name: "ix_calls_business_id_received_at_id",
                table: "calls");

            migrationBuilder.DropIndex(
                name: "ix_calls_caller_number_trgm",
                table: "calls");

            migrationBuilder.AlterDatabase()
                .OldAnnotation("Npgsql:PostgresExtension:pg_trgm", ",,");

            migrationBuilder.CreateIndex(
                name: "ix_calls_business_id_received_at",
                table: "calls",
                columns: new[] { "business_id", "received_at" });
        }
    }
}
